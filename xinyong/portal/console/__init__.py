"""The staff console (管理控制台): ingestion monitor, quarantine, upload, 重错码 governance, rule
tables, list procedure steps, check log and feedback, evaluation distribution. Pages under
``/console``; views assembled by ``service`` from the other domains' services."""
