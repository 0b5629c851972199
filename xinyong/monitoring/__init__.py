"""City credit monitoring (城市信用状况监测): indicators as data over the derived state."""
