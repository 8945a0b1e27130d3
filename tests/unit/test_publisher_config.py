"""The destinations file: what it may say, and errors that name the line."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from publisher.config import DestinationFileError, load_destinations, parse_destinations
from publisher.guard import AddressRefused, check_host, is_public

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

GOOD = f"""\
[publisher]
ocid_prefix = "ocds-qhx000"
poll_interval = "500ms"

[defaults]
timeout = "5s"
give_up_after = "3d"

[[destination]]
name = "ccgp-hebei"
url = "https://93.184.216.34/api/notices"
announcements = ["tender", "result"]
regions = ["澄溪县"]
required = true
secret = "{SECRET}"
rate_limit = 5

[[destination]]
name = "county-portal"
url = "http://127.0.0.1:8080/hook"
format = "ocds"
allow_private = true
timeout = 2
"""


def error(text: str) -> str:
    with pytest.raises(DestinationFileError) as caught:
        parse_destinations(text, "dest.toml")
    return str(caught.value)


def test_a_good_file() -> None:
    config = parse_destinations(GOOD)
    hebei, portal = config.destinations
    assert config.ocid_prefix == "ocds-qhx000" and config.poll_interval == 0.5
    assert hebei.tuning.timeout == 5.0 and portal.tuning.timeout == 2.0
    assert hebei.tuning.give_up_after == 3 * 86400
    assert hebei.tuning.required and not portal.tuning.required
    assert (hebei.tuning.format, portal.tuning.format) == ("notice", "ocds")
    assert hebei.secret == SECRET and hebei.tuning.rate_limit == 5.0
    assert hebei.wants("tender", "澄溪县") and not hebei.wants("intention", "澄溪县")
    assert not hebei.wants("tender", "白鹭市") and portal.wants("intention", "白鹭市")


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (
            ('url = "https://93.184.216.34/api/notices"', 'urll = "x"'),
            11,
            "[[destination]] ccgp-hebei urll: unknown key",
        ),
        (("rate_limit = 5", "rate_limit = -1"), 16, "rate_limit: must be requests per second"),
        (("rate_limit = 5", 'title = "  "'), 16, "title: must be one line of at most 60"),
        (("rate_limit = 5", 'title = "' + "网" * 61 + '"'), 16, "title: must be one line of"),
        (("timeout = 2\n", 'timeout = "soon"\n'), 23, "timeout: must be a duration"),
        (('format = "ocds"', 'format = "xml"'), 21, "format: must be one of notice, ocds"),
        (('"tender", "result"', '"tender", "award"'), 12, "'award' is not an announcement type"),
        (('name = "county-portal"', 'name = "County Portal"'), 19, "name: must be 3–64"),
        (('name = "county-portal"', 'name = "ccgp-hebei"'), 18, "ccgp-hebei: named twice"),
        ((f'secret = "{SECRET}"', 'secret = "hunter2"'), 15, "secret: must be whsec_"),
        (('url = "http://127.0.0.1:8080/hook"', 'url = "ftp://x/y"'), 20, "url: must be an http"),
        (('poll_interval = "500ms"', "poll_interval = 0"), 3, "[publisher] poll_interval"),
        (
            ('timeout = "5s"', 'timeout = "5s"\nretry_cap = "1s"'),
            7,
            "[defaults] retry_cap: must not be shorter than retry_base",
        ),
        (
            ("[defaults]", "[default]"),
            5,
            "[default]: unknown table (expected [publisher], [defaults] or [[destination]])",
        ),
        (('regions = ["澄溪县"]', "regions = ["), 14, "malformed TOML"),
        (
            ('ocid_prefix = "ocds-qhx000"', 'ocid_prefix = "ocds qhx"'),
            2,
            "[publisher] ocid_prefix: 'ocds-' and six lower-case letters or digits",
        ),
        (
            ('poll_interval = "500ms"', 'poll_interval = "500ms"\nlease_margn = "1s"'),
            4,
            "[publisher] lease_margn: unknown key (expected one of ocid_prefix, marker,",
        ),
        (('timeout = "5s"', 'name = "x"'), 6, "[defaults] name: unknown key"),
        (('give_up_after = "3d"', "give_up_after = nan"), 7, "[defaults] give_up_after: must be"),
        (('timeout = "5s"', "max_attempts = -1"), 6, "[defaults] max_attempts: must be a whole"),
        (('timeout = "5s"', "batch = true"), 6, "[defaults] batch: must be a whole number ≥ 1"),
        (("rate_limit = 5", "rate_limit = inf"), 16, "ccgp-hebei rate_limit: must be requests per"),
        (("required = true", 'required = "yes"'), 14, "ccgp-hebei required: must be true or false"),
        (
            ("rate_limit = 5", 'rate_limit = 5\nsecret_env = "HEBEI_SECRET"'),
            17,
            "[[destination]] ccgp-hebei secret_env: give either secret or secret_env",
        ),
        (
            ("https://93.184.216.34/api/notices", "https://user:pw@93.184.216.34/api/notices"),
            11,
            "ccgp-hebei url: must not carry a user name or password",
        ),
        (
            ('"tender", "result"]', '\n  "tender",\n  "award",\n]'),
            14,
            "ccgp-hebei announcements[1]: 'award' is not an announcement type (one of acceptance,",
        ),
        (('regions = ["澄溪县"]', "regions = []"), 13, "regions: must be a non-empty list of"),
        (("allow_private = true", "allow_private = 1"), 22, "county-portal allow_private: must be"),
        (("timeout = 2\n", "timeout = 2\nmax_in_flight = 0\n"), 24, "portal max_in_flight: must"),
        (("127.0.0.1:8080", "127.0.0.1:99999"), 20, "url: the port is not a number from 1"),
        (('url = "http://127.0.0.1:8080/hook"', "url = 8080"), 20, "portal url: must be an http://"),
        (('name = "county-portal"\n', ""), 18, "[[destination]] #2: name is missing"),
    ],
)
def test_mistakes_name_their_line(change: tuple[str, str], line: int, words: str) -> None:
    old, new = change
    assert old in GOOD
    message = error(GOOD.replace(old, new, 1))
    assert message.startswith(f"dest.toml:{line}: "), message
    assert words in message


def test_a_destination_without_url_and_an_empty_file() -> None:
    assert (
        error('[[destination]]\nname = "abc"\n')
        == "dest.toml:1: [[destination]] abc: url is missing"
    )
    assert "no destination" in error("")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A table of the file given as a key: the key's line.
        (
            'publisher.ocid_prefix = "a b"\n\n[[destination]]\nname = "abc"\n'
            'url = "https://93.184.216.34/"\n',
            "dest.toml:1: [publisher] ocid_prefix: 'ocds-' and six lower-case letters or digits, "
            "like ocds-a1b2c3",
        ),
        ("publisher = 3\n", "dest.toml:1: [publisher]: must be a table"),
        (
            '# one site\ndestination = [{ name = "abc", url = "ftp://x/y" }]\n',
            "dest.toml:2: [[destination]] abc url: must be an http:// or https:// URL with a host",
        ),
        ('destination = ["abc"]\n', "dest.toml:1: [[destination]] #1: must be a table"),
    ],
)
def test_other_shapes_of_a_file_name_their_line(text: str, expected: str) -> None:
    assert error(text) == expected


def test_a_secret_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    short = "whsec_" + base64.b64encode(b"too short a secret").decode()
    with pytest.raises(DestinationFileError) as caught:
        parse_destinations(GOOD.replace(SECRET, short), "dest.toml")
    assert str(caught.value).startswith("dest.toml:15: [[destination]] ccgp-hebei secret: must")
    assert short not in str(caught.value) and caught.value.__cause__ is None
    monkeypatch.setenv("HEBEI_SECRET", short)
    text = GOOD.replace(f'secret = "{SECRET}"', 'secret_env = "HEBEI_SECRET"')
    message = error(text)
    assert message.startswith("dest.toml:15: [[destination]] ccgp-hebei secret_env: must be")
    assert short.removeprefix("whsec_") not in message


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:9000/x", "loopback"),
        ("http://localhost/x", "loopback"),
        ("https://10.1.2.3/x", "private"),
        ("http://192.168.1.20/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]/x", "loopback"),
        ("http://[::ffff:10.0.0.1]/x", "private"),
        ("http://0.0.0.0/x", "unspecified"),
        ("http://224.0.0.1/x", "multicast"),
    ],
)
def test_private_addresses_are_refused_unless_allowed(url: str, kind: str) -> None:
    text = f'[[destination]]\nname = "site"\n\nurl = "{url}"\n'
    message = error(text)
    assert message.startswith("dest.toml:4: [[destination]] site url: host"), message
    assert f"a {kind} address" in message and "allow_private = true" in message
    allowed = parse_destinations(text.replace("\n\n", "\nallow_private = true\n"))
    assert allowed.destinations[0].allow_private


def test_a_host_that_does_not_resolve_is_refused() -> None:
    message = error('[[destination]]\nname = "site"\nurl = "https://no-such-site.invalid/x"\n')
    assert message.startswith("dest.toml:3: ") and "does not resolve" in message


def test_a_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = GOOD.replace(f'secret = "{SECRET}"', 'secret_env = "HEBEI_SECRET"')
    assert "the variable HEBEI_SECRET is not set" in error(text)
    monkeypatch.setenv("HEBEI_SECRET", SECRET)
    path = tmp_path / "dest.toml"
    path.write_text(text, encoding="utf-8")
    assert load_destinations(path).destinations[0].secret == SECRET
    with pytest.raises(DestinationFileError, match="cannot read destinations file"):
        load_destinations(tmp_path / "missing.toml")
    path.write_text(text.replace("rate_limit = 5", "rate_limit = -5"), encoding="utf-8")
    with pytest.raises(DestinationFileError) as caught:
        load_destinations(path)
    assert str(caught.value).startswith(f"{path}:16: [[destination]] ccgp-hebei rate_limit: ")


def test_the_guard_itself() -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert not is_public(ipaddress.ip_address("100.64.0.1"))  # carrier-grade NAT
    check_host("93.184.216.34", 443)
    with pytest.raises(AddressRefused, match="loopback"):
        check_host("127.0.0.2", 80)


def test_the_example_file_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).parents[2] / "publisher" / "destinations.example.toml"
    monkeypatch.setenv("CCGP_YUNLING_SECRET", SECRET)
    config = load_destinations(example, check_addresses=False)  # example hosts, no DNS here
    assert [d.name for d in config.destinations] == ["ccgp-yunling", "chengxi-portal"]
    assert [d.title for d in config.destinations] == ["云岭省政府采购网", "澄溪县人民政府门户网站"]
    assert config.destinations[0].tuning.circuit_cooldown == 60
