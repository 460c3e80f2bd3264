"""What every Prefect resource provider shares: connection, retries, error messages, normalisation.

A provider instance is pickled by reference into Pulumi state and re-created in the provider
process, so nothing here opens a connection at import or construction time: the connection is
resolved in `configure()` (stack config) or, for direct CRUD calls, from the environment.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult
from pulumi.output import Unknown

from infra.prefect.client import RetryPolicy, open_client
from infra.prefect.connection import ConfigSource, PrefectConnection, resolve_connection

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

# Pulumi's placeholder for a value not known until apply (previews of dependent resources).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROVIDER_KEY = "__provider"


class PrefectProviderError(Exception):
    """A Prefect operation failed; the message names the resource, operation and API URL."""


def is_unknown(value: object) -> bool:
    """True when `value` is (or contains) a value Pulumi does not know yet.

    The engine's unknown arrives as the sentinel string in plain dicts, but Pulumi's dynamic
    provider server deserializes Check and Diff inputs with `keep_unknowns`, which turns it
    into a `pulumi.output.Unknown` object: both count.
    """
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def canonical(value: Any) -> Any:
    """A JSON-shaped deep copy: tuples become lists, integral floats become ints.

    The engine ships every number as a float (5 arrives as 5.0), so this keeps old and new
    inputs comparable and sends the server the integers the user wrote.
    """
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return copy.deepcopy(value)


def json_problem(value: Any) -> str | None:
    """Why `value` cannot be sent as JSON, or None when it can."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def check_name(props: Mapping[str, Any], key: str) -> list[CheckFailure]:
    """A failure when `props[key]` is missing, empty or not a string."""
    value = props.get(key)
    if is_unknown(value):
        return []
    if not isinstance(value, str) or not value.strip():
        return [CheckFailure(key, f"`{key}` must be a non-empty string, got {value!r}")]
    if "/" in value or "%" in value:
        return [CheckFailure(key, f"`{key}` {value!r} must not contain '/' or '%'")]
    return []


def check_optional_mapping(props: Mapping[str, Any], key: str) -> list[CheckFailure]:
    """A failure when `props[key]` is set but is not a JSON-serialisable object."""
    value = props.get(key)
    if value is None or is_unknown(value):
        return []
    if not isinstance(value, Mapping):
        return [CheckFailure(key, f"`{key}` must be a dict, got {type(value).__name__}")]
    problem = json_problem(value)
    if problem:
        return [CheckFailure(key, f"`{key}` must be JSON-serialisable: {problem}")]
    return []


def check_optional_int(props: Mapping[str, Any], key: str) -> list[CheckFailure]:
    """A failure when `props[key]` is set but is not a non-negative whole number."""
    value = props.get(key)
    if value is None or is_unknown(value):
        return []
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return [CheckFailure(key, f"`{key}` must be a whole number >= 0 or unset, got {value!r}")]
    if isinstance(value, float) and not value.is_integer():
        return [CheckFailure(key, f"`{key}` must be a whole number >= 0 or unset, got {value!r}")]
    return []


def check_optional_string(props: Mapping[str, Any], key: str) -> list[CheckFailure]:
    """A failure when `props[key]` is set but is not a non-empty string."""
    value = props.get(key)
    if value is None or is_unknown(value) or (isinstance(value, str) and value.strip()):
        return []
    return [CheckFailure(key, f"`{key}` must be a non-empty string or unset, got {value!r}")]


def check_optional_bool(props: Mapping[str, Any], key: str) -> list[CheckFailure]:
    """A failure when `props[key]` is set but is not a boolean."""
    value = props.get(key)
    if value is None or is_unknown(value) or isinstance(value, bool):
        return []
    return [CheckFailure(key, f"`{key}` must be true or false, got {value!r}")]


def check_tags(tags: object) -> list[CheckFailure]:
    """A failure when `tags` is set but is not a list of non-empty strings."""
    if tags is None or is_unknown(tags):
        return []
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) and t for t in tags):
        return [CheckFailure("tags", f"`tags` must be a list of non-empty strings, got {tags!r}")]
    return []


class PrefectProvider(pulumi.dynamic.ResourceProvider):
    """Base of the Prefect providers: configure, check, network-free diff, error wrapping.

    Subclasses declare `kind` (for messages), `defaults` (every input key and the value an unset
    key means) and `identity_keys` (inputs whose change needs a new object), and implement
    `validate` plus the CRUD methods using `self.session(...)`.
    """

    kind: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]]
    identity_keys: ClassVar[tuple[str, ...]]

    # Instances may override this (tests use short delays); it holds no secret.
    retry_policy: RetryPolicy = RetryPolicy()
    # Set by `configure()` in the provider process only; `__getstate__` keeps it out of pickles.
    _stack_config: ConfigSource | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_stack_config", None)
        return state

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the stack config; the connection is resolved when an operation needs it, so
        `pulumi preview` (check and diff only) works even without a Prefect URL."""
        self._stack_config = req.config

    @property
    def connection(self) -> PrefectConnection:
        """From stack config (`prefect:apiUrl`, secret `prefect:apiKey` or `prefect:authString`),
        each key falling back to PREFECT_API_URL / PREFECT_API_KEY / PREFECT_API_AUTH_STRING."""
        return resolve_connection(self._stack_config)

    def normalise(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The input keys only, unset keys filled with their defaults, values canonical."""
        normalised: dict[str, Any] = {}
        for key, default in self.defaults.items():
            value = props.get(key)
            normalised[key] = canonical(default if value is None else value)
        return normalised

    def validate(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Every problem with `props` that can be found without the network."""
        raise NotImplementedError

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs without any request; failures name the property."""
        unknown_keys = sorted(
            k for k in news if k not in self.defaults and k not in self.output_keys()
        )
        failures = [
            CheckFailure(
                key,
                f"unknown input `{key}` for a Prefect {self.kind}; "
                f"allowed: {', '.join(sorted(self.defaults))}",
            )
            for key in unknown_keys
            if key != PROVIDER_KEY
        ]
        failures += self.validate(news)
        if failures:
            return CheckResult(news, failures)
        return CheckResult(self.normalise(news), [])

    @classmethod
    def output_keys(cls) -> tuple[str, ...]:
        """Read-only outputs the resource class declares (placeholders in its inputs)."""
        return ()

    def changed_keys(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Input keys whose normalised values differ between `olds` and `news`."""
        old, new = self.normalise(olds), self.normalise(news)
        return [key for key in self.defaults if old[key] != new[key]]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare normalised inputs; no request. Identity keys force a replacement."""
        changed = self.changed_keys(olds, news)
        replaces = [key for key in changed if key in self.identity_keys]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    @contextlib.contextmanager
    def session(self, operation: str, name: object) -> Iterator[SyncPrefectClient]:
        """A client for one operation; any failure becomes a `PrefectProviderError` naming the
        resource, the operation and the API URL (credentials redacted)."""
        connection = self.connection
        try:
            with open_client(connection, self.retry_policy) as client:
                yield client
        except PrefectProviderError:
            raise
        except Exception as exc:
            detail = connection.redact(f"{type(exc).__name__}: {exc}")
            raise PrefectProviderError(
                f"Prefect {self.kind} {name!r}: {operation} failed at {connection.api_url}: "
                f"{detail}"
            ) from None


def resource_props(provider: type[PrefectProvider], props: Mapping[str, Any]) -> dict[str, Any]:
    """The props a resource class hands to Pulumi: its inputs plus placeholders for its
    read-only outputs. Unknown keys fail here, in the program, with the allowed keys."""
    unknown = sorted(set(props) - set(provider.defaults))
    if unknown:
        raise ValueError(
            f"unknown input(s) {', '.join(unknown)} for a Prefect {provider.kind}; "
            f"allowed: {', '.join(sorted(provider.defaults))}"
        )
    return {**props, **dict.fromkeys(provider.output_keys())}
