"""What every domain needs: settings, storage, identifiers, calendar, events, errors."""
