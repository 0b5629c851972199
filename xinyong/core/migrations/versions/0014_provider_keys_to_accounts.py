"""one API-key system: providers' keys move to accounts (owned by the accounts domain)

Revision ID: 0014
Revises: 0013

Ingest used to mint and check its providers' keys itself (``providers.api_key_hash`` and
``api_key_prefix``), beside the API keys of accounts. A provider is now a department with keys:

* every provider gets its department (``departments.provider_code``) if it has none, named after
  the provider, coded with the provider's code (``p.<code>`` when that code is taken or is not a
  department code);
* every provider key becomes a row of ``api_keys`` with the same prefix and the same SHA-256 (so
  the key keeps working unchanged): role ``provider``, the provider role's default scopes as of
  this revision (the scopes such a key was given when it was checked), no catalog-item limit, no
  expiry, named ``信息提供单位报送密钥`` (the name ``xinyong provider rotate-key`` rotates), created
  at the provider's registration. A key whose prefix an accounts key already holds is not moved:
  the accounts key won that lookup, so the provider key could not authenticate before either;
* ``providers.api_key_hash`` and ``api_key_prefix`` are dropped.

Downgrade puts each provider's newest active key of that name back on ``providers`` and removes
those keys from ``api_keys``; departments stay.
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_NAME = "信息提供单位报送密钥"  # xinyong.accounts.service.PROVIDER_KEY_NAME
CREATED_BY = "migration:0014"
# xinyong.accounts.policy.ROLE_DEFAULT_SCOPES["provider"] at this revision.
PROVIDER_SCOPES = [
    "submissions:write",
    "submissions:read",
    "subjects:read",
    "records:read",
    "checks:read",
    "feedback:read",
    "feedback:write",
    "lists:read",
    "lists:write",
    "lists:statement",
]
JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_DEPT_CODE = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")  # xinyong.accounts.departments._DEPT_CODE

_providers = sa.table(
    "providers",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("api_key_hash", sa.String),
    sa.column("api_key_prefix", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_departments = sa.table(
    "departments",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("provider_code", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_api_keys = sa.table(
    "api_keys",
    sa.column("id", sa.Integer),
    sa.column("prefix", sa.String),
    sa.column("key_hash", sa.String),
    sa.column("name", sa.String),
    sa.column("role", sa.String),
    sa.column("department_id", sa.Integer),
    sa.column("scopes", JSONType),
    sa.column("items", JSONType),
    sa.column("expires_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
    sa.column("created_by", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _department_code(provider_code: str, taken: set[str]) -> str:
    for code in (provider_code, f"p.{provider_code}"[:32]):
        if _DEPT_CODE.match(code) and code not in taken:
            return code
    n = 1
    while f"p.{n}" in taken:
        n += 1
    return f"p.{n}"


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    taken = set(conn.execute(sa.select(_departments.c.code)).scalars())
    departments = dict(
        conn.execute(
            sa.select(_departments.c.provider_code, _departments.c.id).where(
                _departments.c.provider_code.is_not(None)
            )
        ).all()
    )
    prefixes = set(conn.execute(sa.select(_api_keys.c.prefix)).scalars())
    providers = conn.execute(
        sa.select(
            _providers.c.code,
            _providers.c.name,
            _providers.c.api_key_hash,
            _providers.c.api_key_prefix,
            _providers.c.created_at,
        ).order_by(_providers.c.id)
    ).all()
    for code, name, key_hash, prefix, created_at in providers:
        department_id = departments.get(code)
        if department_id is None:
            dept_code = _department_code(code, taken)
            taken.add(dept_code)
            department_id = conn.execute(
                sa.insert(_departments)
                .values(code=dept_code, name=name, provider_code=code, active=True, created_at=now)
                .returning(_departments.c.id)
            ).scalar_one()
        if not key_hash or not prefix or prefix in prefixes:
            continue
        prefixes.add(prefix)
        conn.execute(
            sa.insert(_api_keys).values(
                prefix=prefix,
                key_hash=key_hash,
                name=KEY_NAME,
                role="provider",
                department_id=department_id,
                scopes=PROVIDER_SCOPES,
                items=[],
                expires_at=None,
                revoked_at=None,
                created_by=CREATED_BY,
                created_at=created_at or now,
            )
        )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_api_key_prefix"))
        batch_op.drop_column("api_key_prefix")
        batch_op.drop_column("api_key_hash")


def downgrade() -> None:
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("api_key_prefix", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_providers_api_key_prefix"), ["api_key_prefix"], unique=False)
    conn = op.get_bind()
    keys = conn.execute(
        sa.select(_departments.c.provider_code, _api_keys.c.id, _api_keys.c.prefix, _api_keys.c.key_hash)
        .join(_departments, _departments.c.id == _api_keys.c.department_id)
        .where(
            _departments.c.provider_code.is_not(None),
            _api_keys.c.name == KEY_NAME,
            _api_keys.c.role == "provider",
            _api_keys.c.revoked_at.is_(None),
        )
        .order_by(_api_keys.c.id)
    ).all()
    newest = {code: (key_id, prefix, key_hash) for code, key_id, prefix, key_hash in keys}
    for code, (key_id, prefix, key_hash) in newest.items():
        conn.execute(
            sa.update(_providers)
            .where(_providers.c.code == code)
            .values(api_key_hash=key_hash, api_key_prefix=prefix)
        )
        conn.execute(sa.delete(_api_keys).where(_api_keys.c.id == key_id))
