"""Enumerations stored as short strings, each member carrying a translatable label."""

from enum import StrEnum

import sqlalchemy as sa


class LabelledEnum(StrEnum):
    """A string enum whose members also carry a lazily translated label: Kind.FORUM.label."""

    def __new__(cls, value: str, label=None):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label if label is not None else value
        return obj

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def parse(cls, value: str):
        """The member for ``value``, or ValueError naming the allowed values."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{value!r} is not one of: {', '.join(cls.values())}") from None


def enum_column(enum_cls: type[LabelledEnum]) -> sa.Enum:
    """A portable VARCHAR column for an enum (values, not names, are stored)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
