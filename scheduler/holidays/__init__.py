"""Official public holidays and make-up working days (调休), official or provisional."""
