//! Reference data: countries, missions, provinces, languages (filled in by the refdata work).
