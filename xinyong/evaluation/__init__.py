"""Public credit evaluation (公共信用综合评价): models as data, engines, grades, explanations."""
