"""manage.py import_events FILE --as USER: CSV or NDJSON, all or nothing, exact row errors."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from health.models import UsageEvent

from .conftest import make_event

pytestmark = pytest.mark.django_db

HEADER = "account_external_id,occurred_at,event_name,user_id,quantity,properties,event_id\n"


def run(path, *args):
    call_command("import_events", str(path), *args)


def test_csv_import_in_chunks(tmp_path, org, capsys):
    account = org.accounts["csm_a1"][0]
    lines = [
        f'{account.external_id},2025-06-10T09:{n:02d}:00+08:00,report.viewed,u{n},{n},"{{""n"": {n}}}",e{n}\n'
        for n in range(7)
    ]
    lines.append(f"{account.external_id},2025-06-10T09:00:00+08:00,report.viewed,u0,,,e0\n")  # duplicate of e0
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    run(path, "--as", "csm_a1", "--chunk-size", "3")
    assert "Stored 7 event(s), 1 duplicate(s)" in capsys.readouterr().out
    assert UsageEvent.objects.count() == 7
    assert UsageEvent.objects.get(event_id="e3").properties == {"n": 3}


def test_csv_errors_name_row_and_column_and_store_nothing(tmp_path, org, capsys):
    account = org.accounts["csm_a1"][0]
    other = org.accounts["csm_b1"][0]
    rows = [
        f"{account.external_id},2025-06-10T09:00:00+08:00,report.viewed,u1,1,,e1",  # row 2: fine
        f"{account.external_id},2025-06-10T09:00:00,report.viewed,u1,1,,e2",  # row 3: naive
        f"{account.external_id},2025-06-10T09:00:00Z,report.viewed,u1,1,{{bad,e3",  # row 4: bad JSON
        f"{other.external_id},2025-06-10T09:00:00Z,report.viewed,u1,-2,,e4",  # row 5: scope + quantity
    ]
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        run(path, "--as", "csm_a1", "--chunk-size", "2")
    err = capsys.readouterr().err
    assert "row 3, column occurred_at:" in err
    assert "row 4, column properties:" in err
    assert "row 5, column account_external_id:" in err
    assert "row 5, column quantity:" in err
    assert "row 2" not in err
    assert not UsageEvent.objects.exists()


def test_unknown_csv_column_is_refused(tmp_path, org):
    path = tmp_path / "events.csv"
    path.write_text("account_external_id,when\nX,Y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="when"):
        run(path, "--as", "csm_a1")


def test_ndjson_import_with_line_numbers(tmp_path, org, capsys):
    account = org.accounts["csm_a1"][0]
    good = [json.dumps(make_event(account, n)) for n in range(3)]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join([good[0], "", "{oops", good[1], json.dumps(make_event(account, 9, event_name=""))]))
    with pytest.raises(CommandError):
        run(path, "--as", "csm_a1")
    err = capsys.readouterr().err
    assert "line 3, column -:" in err
    assert "line 5, column event_name:" in err
    assert not UsageEvent.objects.exists()
    path.write_text("\n".join(good) + "\n")
    run(path, "--as", "csm_a1")
    assert UsageEvent.objects.count() == 3


def test_unknown_user(tmp_path, org):
    path = tmp_path / "e.ndjson"
    path.write_text("")
    with pytest.raises(CommandError, match="nobody"):
        run(path, "--as", "nobody")
