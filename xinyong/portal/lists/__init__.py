"""The public credit lists (信用名单): red, watch and black lists and the announcements of
published listings. Pages under ``/lists``; the staff queue ``/lists/queue`` is in ``console``."""
