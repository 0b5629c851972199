"""Import every domain's tables so Alembic and tests see the whole metadata."""

from xinyong.accounts import models as accounts_models  # noqa: F401
from xinyong.core import events, ledger_models, models  # noqa: F401
from xinyong.core.db import Base
from xinyong.evaluation import models as evaluation_models  # noqa: F401
from xinyong.ingest import models as ingest_models  # noqa: F401
from xinyong.records import models as records_models  # noqa: F401
from xinyong.subjects import models as subjects_models  # noqa: F401

metadata = Base.metadata
