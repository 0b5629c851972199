"""Account pages (账户): login, logout, my account and subject self-registration, and the page
shown when the access policy refuses a page."""
