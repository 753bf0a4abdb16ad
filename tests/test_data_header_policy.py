"""One header policy for a user's CSV/TSV file, out-of-range numbers refused where they are parsed.

Defect tests (each failed on the code before the policy): a UTF-8 byte-order mark, a header naming
only one of user/item (`title,user,rating`, `timestamp,user,title`), an `inf` rating, bad seeds.
Then a property-style test: many seeded random files (header synonyms and cases, column orders,
extra columns, BOM, quoting, delimiters, with and without header) read by `read_interactions_file`
and compared with a plain parse by the `csv` module.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data import load_data_file, load_dataset, locations
from workbench.data.readers import read_movielens_100k, read_movielens_csv
from workbench.data.user_file import read_interactions_file
from workbench.errors import WorkbenchError
from workbench.validation import MAX_SEED, check_seed

BOM = "\ufeff"


@pytest.fixture(autouse=True)
def no_downloads(offline_cache: Path) -> None:
    """Keep the user's cache out of the tests and make any download attempt fail."""


def write(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


# ----------------------------------------------------------------------------- byte-order mark


def test_a_byte_order_mark_does_not_turn_the_header_into_a_row(tmp_path: Path) -> None:
    rows = read_interactions_file(write(tmp_path / "bom.csv", BOM + "user,item,rating\n1,10,4\n2,11,5\n"))
    assert rows.users.tolist() == [1, 2] and rows.items.tolist() == [10, 11]
    assert rows.ratings is not None and rows.ratings.tolist() == [4, 5]


def test_a_byte_order_mark_before_headerless_integer_ids(tmp_path: Path) -> None:
    rows = read_interactions_file(write(tmp_path / "bom.tsv", BOM + "1\t10\n2\t11\n"))
    assert rows.users.dtype == np.int64 and rows.users.tolist() == [1, 2]


def test_a_byte_order_mark_before_a_movielens_csv_header(tmp_path: Path) -> None:
    rows = read_movielens_csv(write(tmp_path / "ratings.csv", BOM + "userId,movieId,rating,timestamp\n1,2,3.5,9\n"))
    assert rows.users.tolist() == [1] and rows.items.tolist() == [2]


# ----------------------------------------------------------------------------- header names


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("title,user,rating", "item"),
        ("timestamp,user,title", "item"),
        ("movieId,rating,timestamp", "user"),
    ],
)
def test_a_header_naming_only_one_of_user_and_item_is_refused(tmp_path: Path, header: str, missing: str) -> None:
    path = write(tmp_path / "one_named.csv", f"{header}\nToy Story,1,4\nHeat,2,5\nAlien,3,3\n")
    message = rf"one_named\.csv line 1: the header '{header}' names no {missing} column"
    with pytest.raises(WorkbenchError, match=message):
        read_interactions_file(path)


def test_an_explicit_header_naming_only_one_of_user_and_item_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "one_named.csv", "title,user,rating\nHeat,1,4\n")
    with pytest.raises(WorkbenchError, match="names no item column"):
        read_interactions_file(path, header=True)


def test_a_header_naming_no_user_and_no_item_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"line 1: the header 'timestamp,title' names no user column and no item"):
        read_interactions_file(write(tmp_path / "t.csv", "timestamp,title\n5,Heat\n"))


def test_an_unknown_header_above_numeric_rows_is_refused_not_read_as_a_row(tmp_path: Path) -> None:
    path = write(tmp_path / "u.csv", "u,i,r\n1,10,4\n2,11,5\n")
    with pytest.raises(WorkbenchError, match=r"u\.csv line 1: 'u,i,r' looks like a header .* names no user"):
        read_interactions_file(path)
    by_position = read_interactions_file(path, header=True)  # the caller says: a header, columns by position
    assert by_position.users.tolist() == [1, 2] and by_position.ratings.tolist() == [4, 5]


def test_a_column_named_twice_for_one_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"line 1: the header 'user,uid,item' names the user column twice"):
        read_interactions_file(write(tmp_path / "twice.csv", "user,uid,item\n1,2,3\n"))


def test_synonyms_any_order_extra_and_duplicate_extra_columns(tmp_path: Path) -> None:
    text = 'review_id,Title,"Business_ID",stars,USERID,title\nr1,x,b1,4,u1,y\nr2,x,b2,2,u2,y\n'
    rows = read_interactions_file(write(tmp_path / "yelp.csv", text))
    assert rows.users.tolist() == ["u1", "u2"] and rows.items.tolist() == ["b1", "b2"]
    assert rows.ratings.tolist() == [4, 2]
    movielens = read_interactions_file(write(tmp_path / "ml.txt", "userId;movieId;rating;timestamp\n1;2;3.5;9\n"))
    assert movielens.items.tolist() == [2] and movielens.ratings.tolist() == [3.5]


def test_explicit_delimiter_and_header_arguments_still_apply(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.csv", "user|item\n1|2\n3|4\n")
    rows = read_interactions_file(path, delimiter="|")
    assert rows.users.tolist() == [1, 3]
    as_data = read_interactions_file(write(tmp_path / "d.csv", "a,b\nc,d\n"), header=False)
    assert as_data.users.tolist() == ["a", "c"]


def test_the_delimiter_is_sniffed_outside_quoted_fields(tmp_path: Path) -> None:
    rows = read_interactions_file(write(tmp_path / "q.txt", '1;2;"Heat, 1995"\n3;4;"A|B"\n'))
    assert rows.users.tolist() == [1, 3] and rows.items.tolist() == [2, 4]


def test_parquet_names_follow_the_same_policy(tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    pd.DataFrame({"title": ["a", "b"], "user": [1, 2], "rating": [1.0, 2.0]}).to_parquet(path)
    with pytest.raises(WorkbenchError, match=r"one\.parquet: the header 'title,user,rating' names no item column"):
        read_interactions_file(path)
    ordered = tmp_path / "ordered.parquet"
    pd.DataFrame({"rating": [1.0, 2.0], "movieId": [5, 6], "userId": [1, 2]}).to_parquet(ordered)
    rows = read_interactions_file(ordered)
    assert rows.users.tolist() == [1, 2] and rows.items.tolist() == [5, 6] and rows.ratings.tolist() == [1, 2]


# ----------------------------------------------------------------------------- numbers out of range


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e39", "nan"])
def test_a_non_finite_rating_is_refused_naming_file_and_line(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "r.csv", f"user,item,rating\na,x,1\nb,y,{value}\n")
    with pytest.raises(WorkbenchError, match=rf"r\.csv line 3: .*rating .*{value!r}"):
        read_interactions_file(path)


def test_an_inf_rating_is_refused_by_the_fixed_layout_readers(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"u\.data line 2: .*rating is not a number: 'inf'"):
        read_movielens_100k(write(tmp_path / "u.data", "1\t2\t3\t9\n1\t3\tinf\t9\n"))


def test_check_seed_accepts_the_full_range_and_names_the_parameter() -> None:
    assert check_seed(0) == 0 and check_seed(np.int64(7)) == 7 and check_seed(MAX_SEED) == 2**32 - 1
    assert type(check_seed(np.uint32(3))) is int
    for bad in ("x", "3", -1, 2**32, 10**20, 1.0, True, None):
        with pytest.raises(WorkbenchError, match=r"^draw_seed: expected an integer from 0 to 4294967295, got "):
            check_seed(bad, parameter="draw_seed")


def small_ml100k(root: Path) -> Path:
    (root / "ml-100k").mkdir(parents=True)
    lines = "".join(
        f"{u}\t{(u * 3 + k) % 20 + 1}\t{k % 5 + 1}\t{880000000 + k}\n" for u in range(1, 9) for k in range(6)
    )
    (root / "ml-100k" / "u.data").write_text(lines)
    return root


@pytest.mark.parametrize("seed", ["x", -1, 2**32, 99999999999999999999, 1.5, True])
def test_load_dataset_refuses_a_bad_seed(tmp_path: Path, seed: object) -> None:
    root = small_ml100k(tmp_path)
    with pytest.raises(WorkbenchError, match=r"^seed: expected an integer from 0 to 4294967295"):
        load_dataset("ml-100k", data_dir=root, seed=seed, download=False)  # type: ignore[arg-type]
    assert load_dataset("ml-100k", data_dir=root, seed=MAX_SEED, download=False).n_users == 8


@pytest.mark.parametrize("seed", ["x", -1, 2**32])
def test_load_data_file_refuses_a_bad_seed(tmp_path: Path, seed: object) -> None:
    path = write(tmp_path / "mine.csv", "".join(f"u{u},i{(u + k) % 7}\n" for u in range(5) for k in range(4)))
    with pytest.raises(WorkbenchError, match=r"^seed: expected an integer from 0 to 4294967295"):
        load_data_file(path, seed=seed)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- property test

USER_NAMES = ["user", "userId", "user_id", "userID", "uid", "user id", "customer_id", "visitorid", "reviewerID"]
ITEM_NAMES = ["item", "movieId", "movie_id", "itemId", "item_id", "iid", "business_id", "asin", "ISBN", "track_id"]
RATING_NAMES = ["rating", "score", "stars", "overall", "playcount"]
EXTRA_NAMES = ["timestamp", "time", "title", "genres", "comment", "notes", "title"]
WORDS = ["red", "fox", "blue tea", "nine lives", "x", "quiet", "Über", "café"]
SPECIALS = [",", "\t", ";", "|", '"', "::"]
RATINGS = ["1", "2", "3", "4", "5", "3.5", "0.5", "4.0", "2e0"]


def _random_case(name: str, rng: random.Random) -> str:
    return "".join(ch.upper() if rng.random() < 0.3 else ch.lower() if rng.random() < 0.3 else ch for ch in name)


def _text_value(rng: random.Random, specials: list[str]) -> str:
    text = " ".join(rng.sample(WORDS, rng.randint(1, 2)))
    if specials and rng.random() < 0.4:
        text += rng.choice(specials) + rng.choice(WORDS)
    return text if rng.random() > 0.05 else ""


def _random_file(rng: random.Random) -> tuple[str, dict]:
    """(text, layout): one random interactions file and what the generator put where."""
    delimiter = rng.choice([",", "\t", ";"])
    quoting = rng.choice(["plain", "minimal", "all"])
    # Which characters text may hold: none special when unquoted; the delimiter and the quote when
    # quoted as needed (csv quotes exactly those); any special when every field is quoted.
    specials = {"plain": [], "minimal": [delimiter, '"'], "all": SPECIALS}[quoting]
    has_header = rng.random() < 0.6
    with_rating = rng.random() < 0.6
    extras = rng.sample(EXTRA_NAMES, rng.randint(0, 3))
    if has_header:
        roles = ["user", "item"] + (["rating"] if with_rating else []) + [f"extra:{name}" for name in extras]
        rng.shuffle(roles)
    else:  # positional: user, item[, rating], then extra columns
        roles = ["user", "item"] + (["rating"] if with_rating else []) + [f"extra:{name}" for name in extras]
    integer_users, integer_items = rng.random() < 0.5, rng.random() < 0.5
    n_rows = rng.randint(1, 25)
    pairs = set()
    while len(pairs) < n_rows:
        u, i = rng.randint(1, 40), rng.randint(1, 10**6)
        pairs.add((u, i))
    rows = []
    for u, i in sorted(pairs, key=lambda _: rng.random()):
        row = []
        for role in roles:
            if role == "user":
                special = rng.choice(specials) if specials and u % 3 == 0 else ""
                row.append(str(u) if integer_users else f"u{u}{special}")
            elif role == "item":
                row.append(str(i) if integer_items else f"i{i}")
            elif role == "rating":
                row.append(rng.choice(RATINGS))
            elif role in ("extra:timestamp", "extra:time"):
                row.append(str(rng.randint(10**8, 10**9)))
            else:
                row.append(_text_value(rng, specials))
        rows.append(row)
    header = []
    for role in roles:
        names = {"user": USER_NAMES, "item": ITEM_NAMES, "rating": RATING_NAMES}.get(role)
        name = _random_case(rng.choice(names) if names else role.split(":", 1)[1], rng)
        if role == "extra:notes" and quoting != "plain":
            name += delimiter + "more"  # a quoted header name holding the delimiter
        header.append(f" {name} " if rng.random() < 0.1 else name)
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=delimiter,
        quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL,
        lineterminator=rng.choice(["\n", "\r\n"]),
    )
    if has_header:
        writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if rng.random() < 0.1:
        text = "\n" + text
    bom = rng.random() < 0.3
    if bom:
        text = BOM + text
    if rng.random() < 0.2:
        text += "\n"
    layout = {"delimiter": delimiter, "has_header": has_header, "roles": roles, "quoting": quoting, "bom": bom}
    return text, layout


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _reference(text: str, layout: dict) -> tuple[list[str], list[str], list[float] | None]:
    """The file parsed with the csv module, by the documented rules (roles known to the generator)."""
    text = text.removeprefix(BOM)
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=layout["delimiter"]) if row]
    if layout["has_header"]:
        rows = rows[1:]
        roles = layout["roles"]
        user, item = roles.index("user"), roles.index("item")
        rating = roles.index("rating") if "rating" in roles else None
    else:  # positional: the third column is the rating when every value in it is a number
        user, item = 0, 1
        rating = 2 if len(rows[0]) >= 3 and all(_is_number(row[2]) for row in rows) else None
    users = [row[user].strip() for row in rows]  # ids lose surrounding whitespace, as documented
    items = [row[item].strip() for row in rows]
    ratings = None if rating is None else [float(row[rating]) for row in rows]
    return users, items, ratings


def test_reader_matches_a_plain_csv_parse_on_random_files(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    seen: dict[str, int] = {}
    for case in range(500):
        text, layout = _random_file(rng)
        for feature in (
            f"delimiter {layout['delimiter']!r}",
            f"header {layout['has_header']}",
            f"quoting {layout['quoting']}",
            f"bom {layout['bom']}",
            f"order {'user-first' if layout['roles'][0] == 'user' else 'other'}",
            f"extra columns {len(layout['roles']) > 2 + ('rating' in layout['roles'])}",
        ):
            seen[feature] = seen.get(feature, 0) + 1
        delimiter = layout["delimiter"]
        choice = rng.random()
        if choice < 0.4:  # the extension tells the delimiter; else it is given, else sniffed
            suffix, given = {",": ".csv", "\t": ".tsv", ";": ".txt"}[delimiter], None
        elif choice < 0.7:
            suffix, given = rng.choice([".csv", ".txt", ".dat"]), delimiter
        else:
            suffix, given = ".txt", None
        if rng.random() < 0.15:
            suffix += ".gz"
        header = rng.choice([None, layout["has_header"]])
        path = write(tmp_path / f"case{case}{suffix}", text)
        where = f"case {case} ({layout}, delimiter argument {given!r}, header argument {header}):\n{text}"
        rows = read_interactions_file(path, delimiter=given, header=header)
        users, items, ratings = _reference(text, layout)
        assert [str(user) for user in rows.users.tolist()] == users, where
        assert [str(item) for item in rows.items.tolist()] == items, where
        if ratings is None:
            assert rows.ratings is None, where
        else:
            assert rows.ratings is not None and np.allclose(rows.ratings, ratings), where
    assert len(seen) == 14 and min(seen.values()) >= 40, seen  # every variation was exercised, often
