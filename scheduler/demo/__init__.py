"""Demo data: a realistic Guangdong-province set-up, in Chinese, for an empty database.

``load_demo_data()`` creates societies, venues, speakers, the brand series, the campaigns of
the current and the next year, about 230 events in every status, and four demo accounts.
The same ``today`` always gives the same data (fixed random seed). Every person, contact
and account is fictional; e-mail addresses use the reserved ``example.org`` domain and the
reserved ``.example`` top-level domain.

The venue and speaker bookings are kept free of conflicts while the data is built, and a
self-check at the end refuses to commit data whose slot-holding occurrences double-book a
venue (buffer included) or a speaker.
"""

from .data import DEMO_PASSWORD
from .ledger import DemoDataError
from .load import find_double_bookings, load_demo_data

__all__ = ["DEMO_PASSWORD", "DemoDataError", "find_double_bookings", "load_demo_data"]
