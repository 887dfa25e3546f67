"""Our formats of numbers and dates, per language, over Django's (FORMAT_MODULE_PATH).

Django looks a format up here first and falls back to its own locale module, so a module names
only what differs. Chinese readers here group thousands with commas (1,234,567.50) as English
readers do; Django's Chinese formats group by ten thousands with no separator at all.
"""
