"""Query log (查询记录) and purpose limitation (查询用途): who looked at whose non-public information, why."""
