"""Column-level lineage from the compiled SQL in the dbt manifest, traced with sqlglot.

For a column of a model, sqlglot's lineage walks the model's compiled SELECT (its CTEs, joins,
expressions) down to the columns of the relations it reads; each of those relations is found in the
manifest by its relation name and, when it is a model, traced again, until a source (a bronze
table), a seed or a relation the manifest does not know. The result is the set of source columns a
column derives from: the PII register's "sources" (oe_platform/governance/report.py).

Needs compiled SQL: `dbt docs generate` (oe docs) and `dbt compile` write it into the manifest;
`dbt parse` does not. A model whose SQL sqlglot cannot parse is reported, not guessed."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

DIALECT = "duckdb"
MAX_DEPTH = 12


@dataclass(frozen=True)
class SourceColumn:
    unique_id: str  # the source or seed node (or the relation's name when the manifest does not know it)
    relation: str  # schema.table
    column: str

    def label(self) -> str:
        return f"{self.relation}.{self.column}"


@dataclass
class ColumnLineage:
    """Traces columns through a loaded manifest, remembering every (node, column) it has traced."""

    manifest: dict
    errors: dict[str, str] = field(default_factory=dict)
    _by_relation: dict[tuple[str, str], str] = field(default_factory=dict)
    _scopes: dict[str, object] = field(default_factory=dict)
    _memo: dict[tuple[str, str], frozenset[SourceColumn]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for unique_id, node in self._nodes().items():
            schema, name = node.get("schema"), node.get("alias") or node.get("identifier") or node.get("name")
            if schema and name:
                self._by_relation[(schema.lower(), name.lower())] = unique_id

    def _nodes(self) -> dict[str, dict]:
        return {**self.manifest.get("nodes", {}), **self.manifest.get("sources", {})}

    def _schema(self) -> dict:
        """Every known relation's columns, for sqlglot to expand `select *`."""
        schema: dict = {}
        for node in self._nodes().values():
            columns = node.get("columns") or {}
            if not columns or not node.get("schema"):
                continue
            name = node.get("alias") or node.get("identifier") or node.get("name")
            schema.setdefault(node["schema"], {})[name] = {c: "varchar" for c in columns}
        return schema

    def _scope(self, unique_id: str):
        if unique_id not in self._scopes:
            node = self._nodes()[unique_id]
            sql = node.get("compiled_code")
            if not sql:
                self.errors[unique_id] = "no compiled SQL in the manifest (run dbt compile or dbt docs generate)"
                self._scopes[unique_id] = None
            else:
                try:
                    parsed = sqlglot.parse_one(sql, dialect=DIALECT)
                    # the database part of three-part names is the warehouse file's: drop it
                    for table in parsed.find_all(exp.Table):
                        table.set("catalog", None)
                    qualified = qualify(parsed, schema=self._schema_cached(), dialect=DIALECT,
                                        validate_qualify_columns=False, identify=False)
                    self._scopes[unique_id] = (qualified, build_scope(qualified))
                except Exception as exc:  # sqlglot raises many kinds; the register shows the reason
                    self.errors[unique_id] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                    self._scopes[unique_id] = None
        return self._scopes[unique_id]

    def _schema_cached(self) -> dict:
        if not hasattr(self, "_schema_value"):
            self._schema_value = self._schema()
        return self._schema_value

    def sources_of(self, unique_id: str, column: str, depth: int = 0) -> frozenset[SourceColumn]:
        """The source (and seed) columns the column of the node derives from."""
        key = (unique_id, column.lower())
        if key in self._memo:
            return self._memo[key]
        node = self._nodes().get(unique_id, {})
        if node.get("resource_type") in ("source", "seed") or depth > MAX_DEPTH:
            relation = f"{node.get('schema')}.{node.get('alias') or node.get('identifier') or node.get('name')}"
            found = frozenset({SourceColumn(unique_id, relation, column.lower())})
            self._memo[key] = found
            return found
        self._memo[key] = frozenset()  # a cycle resolves to nothing rather than recursing for ever
        scoped = self._scope(unique_id)
        if scoped is None:
            return frozenset()
        qualified, scope = scoped
        try:
            root = lineage(column.lower(), qualified, self._schema_cached(), dialect=DIALECT, scope=scope, copy=False)
        except Exception as exc:
            self.errors[f"{unique_id}.{column}"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            return frozenset()
        found: set[SourceColumn] = set()
        for leaf in root.walk():
            if leaf.downstream or not isinstance(leaf.source, exp.Table):
                continue
            table = leaf.source
            relation = (table.db.lower(), table.name.lower())
            leaf_column = leaf.name.split(".")[-1]
            upstream = self._by_relation.get(relation)
            if upstream is None:
                found.add(SourceColumn(".".join(relation), ".".join(relation), leaf_column))
            else:
                found |= self.sources_of(upstream, leaf_column, depth + 1)
        result = frozenset(found)
        self._memo[key] = result
        return result
