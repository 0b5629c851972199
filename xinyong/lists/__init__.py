"""Red, watch and black lists (红名单 / 重点关注名单 / 严重失信主体名单) and their due-process
procedure: list types as data, the procedure state machine, the ``lists`` outbox consumer that
keeps the credit state's list memberships (the pages are the portal's: ``portal/lists``)."""
