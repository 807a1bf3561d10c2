"""dealwatch: a news-monitoring pipeline for national AI deals."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/dealwatch/dealwatch"
USER_AGENT = f"dealwatch/{__version__} (+{PROJECT_URL})"
