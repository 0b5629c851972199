"""Provider data quality (数据质量): monthly scorecards per department and catalog item."""
