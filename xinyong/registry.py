"""Every domain's tables in one metadata, for Alembic (core/migrations/env.py) and tests: an
assembly module, beside app.py and cli.py, because it names every domain."""

from xinyong.accounts import models as accounts_models  # noqa: F401
from xinyong.casework import models as casework_models  # noqa: F401
from xinyong.commitments import models as commitments_models  # noqa: F401
from xinyong.content import models as content_models  # noqa: F401
from xinyong.core import events, models  # noqa: F401
from xinyong.core.db import Base
from xinyong.creditstate import models as creditstate_models  # noqa: F401
from xinyong.declarations import models as declarations_models  # noqa: F401
from xinyong.evaluation import models as evaluation_models  # noqa: F401
from xinyong.government import models as government_models  # noqa: F401
from xinyong.ingest import models as ingest_models  # noqa: F401
from xinyong.ledger import models as ledger_models  # noqa: F401
from xinyong.lists import models as lists_models  # noqa: F401
from xinyong.measures import models as measures_models  # noqa: F401
from xinyong.objections import models as objections_models  # noqa: F401
from xinyong.quality import models as quality_models  # noqa: F401
from xinyong.querylog import models as querylog_models  # noqa: F401
from xinyong.records import models as records_models  # noqa: F401
from xinyong.repairs import models as repairs_models  # noqa: F401
from xinyong.reports import models as reports_models  # noqa: F401
from xinyong.subjects import models as subjects_models  # noqa: F401

metadata = Base.metadata
