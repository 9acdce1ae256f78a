"""API tests through Starlette's TestClient (no network)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import imagecodecs
import numpy as np
import pytest
from PIL import Image as PILImage
from starlette.testclient import TestClient

from qualipress.io import as_image, pq_encode, write_image
from qualipress.review.app import MAX_BODY

from .conftest import make_client


def _register(client: TestClient, name: str = "Ada") -> int:
    r = client.post("/api/evaluators", json={"name": name})
    assert r.status_code == 200, r.text
    return r.json()["id"]


def _next(client: TestClient, eid: int) -> dict:
    r = client.post("/api/next", json={"evaluator_id": eid})
    assert r.status_code == 200, r.text
    return r.json()


def _png(data: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(data)))


def test_page_and_static_assets_served_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/app.js" in page.text and "/static/app.css" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    for name, ctype in (("app.js", "javascript"), ("app.css", "css")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and ctype in r.headers["content-type"]
        assert "https://" not in r.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"


def test_config_describes_scale_artifacts_and_transform(client: TestClient) -> None:
    cfg = client.get("/api/config").json()
    assert [s["value"] for s in cfg["scores"]] == [0, 1, 2, 3, 4, 5]
    assert cfg["scores"][0]["label"] == "no visible difference"
    assert cfg["scores"][5]["label"] == "unacceptable"
    ids = {a["id"] for a in cfg["artifacts"]}
    assert ids == {"banding", "blocking", "ringing", "blur", "colour_shift", "skin_texture", "grain_loss"}
    assert "PQ" in cfg["transform"] and "8-bit" in cfg["transform"]
    assert cfg["pairs"] == 6 and cfg["blind"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/db.py",
        "/static/..%2Fdb.py",
        "/static/index.html",
        "/api/trials/..%2F..%2F..%2Fetc%2Fpasswd/left",
        "/api/trials/AAAAAAAAAAAAAAAAAAAAAA/left",
        "/../../etc/passwd",
        "/review.sqlite",
    ],
)
def test_no_path_reaches_files(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert b"import" not in r.content and b"root:" not in r.content


def test_foreign_host_header_refused(client: TestClient) -> None:
    r = client.get("/api/config", headers={"host": "attacker.example"})
    assert r.status_code == 400


def test_labelled_flow_scores_and_stores(client: TestClient, tmp_path: Path) -> None:
    eid = _register(client)
    data = _next(client, eid)
    assert data["done"] is False and data["progress"] == {"done": 0, "total": 6}
    trial = data["trial"]
    assert trial["left"]["label"] == "original" and trial["right"]["label"] == "compressed"
    assert trial["info"]["codec"] in {"jpeg", "webp"} and trial["info"]["profile"] in {"C1", "C2"}
    assert trial["left"]["transform"].startswith("8-bit")
    # the same open trial comes back until it is scored (a reload shows the same pair)
    assert _next(client, eid)["trial"]["token"] == trial["token"]
    left = client.get(trial["left"]["url"])
    assert left.status_code == 200 and left.headers["content-type"] == "image/png"
    assert "etag" not in left.headers and "last-modified" not in left.headers
    orig = np.asarray(PILImage.open(Path(client.app.state.review.pairs[_item(client, trial)].original)))
    assert np.array_equal(_png(left.content), orig)  # 8-bit: shown exactly as stored
    r = client.post(
        "/api/scores",
        json={
            "trial": trial["token"],
            "evaluator_id": eid,
            "score": 2,
            "artifacts": ["blocking", "banding"],
            "comment": "  sky bands\r\nnear the top ",
        },
    )
    assert r.status_code == 201, r.text
    rows = client.app.state.review.db.judgements()
    assert len(rows) == 1
    assert rows[0]["score"] == 2 and rows[0]["artifacts"] == ["banding", "blocking"]
    assert rows[0]["comment"] == "sky bands\nnear the top"
    assert rows[0]["evaluator"] == "Ada"
    nxt = _next(client, eid)
    assert nxt["trial"]["token"] != trial["token"] and nxt["progress"]["done"] == 1


def _item(client: TestClient, trial: dict) -> int:
    return client.app.state.review.db.trial(trial["token"]).item_id


def test_every_pair_once_then_done(client: TestClient) -> None:
    eid = _register(client)
    seen = set()
    for i in range(6):
        t = _next(client, eid)["trial"]
        seen.add(_item(client, t))
        r = client.post("/api/scores", json={"trial": t["token"], "evaluator_id": eid, "score": i % 6})
        assert r.status_code == 201
    assert len(seen) == 6
    done = _next(client, eid)
    assert done["done"] is True and done["progress"] == {"done": 6, "total": 6}
    # a second evaluator starts afresh
    assert _next(client, _register(client, "Grace"))["done"] is False


def test_blind_mode_hides_labels_and_randomises_sides(blind_client: TestClient) -> None:
    sides = set()
    review = blind_client.app.state.review
    for k in range(12):
        eid = _register(blind_client, f"evaluator {k}")
        t = _next(blind_client, eid)["trial"]
        assert "info" not in t and "transform" not in t["left"]
        assert {t["left"]["label"], t["right"]["label"]} == {"A", "B"}
        visible = {k: v for k, v in t.items() if k not in ("token", "left", "right")}
        body = str(visible) + t["left"]["label"] + t["right"]["label"]  # token and URLs are random text
        assert set(t["left"]) == {"url", "label"} == set(t["right"])
        assert "jpeg" not in body and "webp" not in body and "C1" not in body and "img" not in body
        stored = review.db.trial(t["token"])
        sides.add(stored.original_side)
        pair = review.pairs[stored.item_id]
        shown = _png(blind_client.get(t[stored.original_side]["url"]).content)
        assert np.array_equal(shown, np.asarray(PILImage.open(pair.original)))
    assert sides == {"left", "right"}  # 12 fair coin flips all equal: probability 2**-11


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"score": 6}, "score"),
        ({"score": -1}, "score"),
        ({"score": True}, "score must be an integer"),
        ({"score": 2.0}, "score must be an integer"),
        ({"score": "2"}, "score must be an integer"),
        ({"artifacts": ["banding", "banding"]}, "repeat"),
        ({"artifacts": ["moire"]}, "unknown artifact"),
        ({"artifacts": "banding"}, "list"),
        ({"comment": "x" * 2001}, "longer"),
        ({"comment": "bell\x07"}, "control character"),
        ({"comment": 5}, "string"),
        ({"elapsed_ms": -5}, "elapsed_ms"),
        ({"rating": 3}, "unknown field"),
        ({"trial": "../../etc/passwd"}, "trial token"),
        ({"evaluator_id": "1"}, "evaluator_id"),
    ],
)
def test_score_validation(client: TestClient, body: dict, message: str) -> None:
    eid = _register(client)
    t = _next(client, eid)["trial"]
    full = {"trial": t["token"], "evaluator_id": eid, "score": 1, **body}
    r = client.post("/api/scores", json=full)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    assert client.app.state.review.db.counts()["scores"] == 0


def test_transport_level_validation(client: TestClient) -> None:
    eid = _register(client)
    t = _next(client, eid)["trial"]
    form = client.post("/api/scores", data={"trial": t["token"], "evaluator_id": str(eid), "score": "1"})
    assert form.status_code == 415  # a cross-site HTML form cannot post here
    big = client.post(
        "/api/scores", content=b"{" + b" " * MAX_BODY + b"}", headers={"content-type": "application/json"}
    )
    assert big.status_code == 413
    bad = client.post("/api/scores", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    arr = client.post("/api/scores", json=[1, 2])
    assert arr.status_code == 400
    missing = client.post("/api/scores", json={"trial": t["token"]})
    assert missing.status_code == 400 and "missing" in missing.json()["error"]
    for hostile in (b"[" * 8000 + b"]" * 8000, b'{"score": ' + b"9" * 4400 + b"}"):  # deep nesting, huge int
        r = client.post("/api/scores", content=hostile, headers={"content-type": "application/json"})
        assert r.status_code == 400 and "not valid JSON" in r.json()["error"]


@pytest.mark.parametrize("name", ["", "   ", "a" * 65, "tab\tname", 42, None])
def test_evaluator_name_validation(client: TestClient, name: object) -> None:
    r = client.post("/api/evaluators", json={"name": name})
    assert r.status_code == 400


def test_evaluator_names_case_insensitive_resume(client: TestClient) -> None:
    a = client.post("/api/evaluators", json={"name": "Ada Lovelace"}).json()
    b = client.post("/api/evaluators", json={"name": "ada lovelace "}).json()
    assert a["id"] == b["id"] and b["name"] == "Ada Lovelace"


def test_retry_is_idempotent_and_conflict_detected(client: TestClient) -> None:
    eid = _register(client)
    t = _next(client, eid)["trial"]
    body = {"trial": t["token"], "evaluator_id": eid, "score": 3, "artifacts": ["blur"], "comment": "soft"}
    first = client.post("/api/scores", json=body)
    again = client.post("/api/scores", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    changed = client.post("/api/scores", json={**body, "score": 4})
    assert changed.status_code == 409
    assert client.app.state.review.db.counts()["scores"] == 1


def test_trial_of_another_evaluator_refused(client: TestClient) -> None:
    a, b = _register(client, "A"), _register(client, "B")
    t = _next(client, a)["trial"]
    r = client.post("/api/scores", json={"trial": t["token"], "evaluator_id": b, "score": 0})
    assert r.status_code == 404
    assert client.post("/api/next", json={"evaluator_id": 999}).status_code == 404


def test_scores_survive_restart(collection: Path, tmp_path: Path) -> None:
    db = tmp_path / "persist.sqlite"
    with make_client(collection, db) as c:
        eid = _register(c)
        t = _next(c, eid)["trial"]
        assert c.post("/api/scores", json={"trial": t["token"], "evaluator_id": eid, "score": 4}).status_code == 201
        t2 = _next(c, eid)["trial"]  # left open, as by a closed tab
        c.app.state.review.db.close()
    rows = sqlite3.connect(db).execute("SELECT score FROM scores").fetchall()
    assert rows == [(4,)]
    with make_client(collection, db) as c:
        eid2 = _register(c)
        assert eid2 == eid
        again = _next(c, eid)
        assert again["progress"]["done"] == 1
        assert again["trial"]["token"] == t2["token"]  # the open pair is offered again


def test_broken_compressed_file_is_retired(collection: Path, tmp_path: Path) -> None:
    for p in collection.glob("*.jpg"):
        p.write_bytes(b"\xff\xd8\xff garbage")
    with make_client(collection, tmp_path / "r.sqlite") as c:
        eid = _register(c)
        codecs = set()
        while not (d := _next(c, eid))["done"]:
            codecs.add(d["trial"]["info"]["codec"])
            c.post("/api/scores", json={"trial": d["trial"]["token"], "evaluator_id": eid, "score": 0})
        assert codecs == {"webp"}
        assert sum("img" in s and ".jpg" in s for s in c.app.state.review.skipped) == 3


def _pair_dir(tmp_path: Path, original: np.ndarray, compressed: np.ndarray, suffix: str) -> Path:
    root = tmp_path / "hdr"
    (root / "original").mkdir(parents=True)
    (root / "variant").mkdir()
    for name, arr in (("original", original), ("variant", compressed)):
        path = root / name / f"frame{suffix}"
        if suffix == ".png":
            path.write_bytes(imagecodecs.png_encode(arr))
        else:
            write_image(path, as_image(arr))
    return root


def test_sixteen_bit_display_transform(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 65536, (24, 40, 3), dtype=np.uint16)
    root = _pair_dir(tmp_path, a, a, ".png")
    with make_client(root, tmp_path / "r.sqlite") as c:
        t = _next(c, _register(c))["trial"]
        assert t["left"]["transform"] == "16-bit srgb → value/65535 → 8-bit (no dither)"
        shown = _png(c.get(t["left"]["url"]).content)
    assert shown.dtype == np.uint8
    assert np.array_equal(shown, np.rint(a / 65535.0 * 255).astype(np.uint8))


def test_float_linear_display_transform_is_pq(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    lin = (rng.random((16, 20, 3)) * 20).astype(np.float32)  # up to 2000 cd/m² with 1.0 = 100 cd/m²
    root = _pair_dir(tmp_path, lin, lin, ".tif")
    with make_client(root, tmp_path / "r.sqlite") as c:
        t = _next(c, _register(c))["trial"]
        assert "PQ" in t["left"]["transform"]
        shown = _png(c.get(t["right"]["url"]).content)
    expected = np.rint(pq_encode(lin) * 255).astype(np.int16)
    assert np.abs(shown.astype(np.int16) - expected).max() <= 1
    assert shown.max() < 255  # 2000 cd/m² is below PQ's 10 000 cd/m² peak: highlights not clipped


def test_float_original_with_pq_coded_integer_output(tmp_path: Path) -> None:
    """A float frame compressed through qualipress's 16-bit PQ encoding is shown on the same signal."""
    from qualipress.io import to_perceptual_image

    rng = np.random.default_rng(5)
    lin = (rng.random((16, 20, 3)) * 8).astype(np.float32)
    coded = to_perceptual_image(as_image(lin), bit_depth=16).pixels
    root = tmp_path / "hdr"
    (root / "original").mkdir(parents=True)
    (root / "jxl").mkdir()
    write_image(root / "original" / "f.tif", as_image(lin))
    (root / "jxl" / "f.png").write_bytes(imagecodecs.png_encode(coded))
    with make_client(root, tmp_path / "r.sqlite") as c:
        t = _next(c, _register(c))["trial"]
        assert "PQ code values" in t["right"]["transform"] and "PQ" in t["left"]["transform"]
        left = _png(c.get(t["left"]["url"]).content).astype(int)
        right = _png(c.get(t["right"]["url"]).content).astype(int)
    assert np.abs(left - right).max() <= 1


def test_next_pair_is_rendered_in_advance(client: TestClient) -> None:
    review = client.app.state.review
    eid = _register(client)
    t = _next(client, eid)["trial"]
    review.prefetch.result(timeout=30)
    cached = {Path(k[0]) for k in review.cache._items}
    predicted = review.db.peek_next_item(eid, after=_item(client, t))
    assert {review.pairs[predicted].original, review.pairs[predicted].compressed} <= cached
    client.post("/api/scores", json={"trial": t["token"], "evaluator_id": eid, "score": 0})
    assert _item(client, _next(client, eid)["trial"]) == predicted  # the prediction was right


def test_evaluators_see_different_orders(client: TestClient) -> None:
    orders = []
    for name in ("p", "q", "r"):
        eid = _register(client, name)
        order = []
        for _ in range(6):
            t = _next(client, eid)["trial"]
            order.append(_item(client, t))
            client.post("/api/scores", json={"trial": t["token"], "evaluator_id": eid, "score": 1})
        orders.append(order)
    assert all(sorted(o) == sorted(orders[0]) for o in orders)
    assert len({tuple(o) for o in orders}) > 1
