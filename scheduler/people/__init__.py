"""People: experts and speakers, a scarce resource shared by all societies."""
