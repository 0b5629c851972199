"""Content sections of the city's site: 通知公告, 政策法规, 信用动态 (staff write, the public reads)."""
