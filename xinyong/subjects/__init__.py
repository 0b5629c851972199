"""Credit subjects (信用主体), their names, relations, search and 重错码 governance."""
