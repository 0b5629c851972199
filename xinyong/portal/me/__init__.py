"""Subject self-service (信用主体自助服务): a signed-in subject's own credit file, grade, list
procedures and who viewed its file. Pages under ``/me``; views assembled by ``service``."""
