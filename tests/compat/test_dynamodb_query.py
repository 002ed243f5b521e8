"""DynamoDB Query and Scan with real clients, written from the API reference: key conditions,
filters, ordering (N numeric, S and B bytewise), pagination (Limit, ExclusiveStartKey, the
1 MB page), Select and Count/ScannedCount, global and local secondary indexes with their
projections, parallel scan, and the legacy KeyConditions/QueryFilter/ScanFilter forms.
"""
import pytest

from ddb_helpers import (KB, KEY_SCHEMA_MISMATCH, NOT_FOUND, av, ddb, err, eventually, index,  # noqa: F401
                         item, make_table, missing_table, plain, put_items, query_all, scan_all,
                         sorted_table, table, values)


def keys_of(items, name="sk"):
    return [plain(i)[name] for i in items]


@pytest.fixture
def numbers(ddb, sorted_table):
    """sorted_table with pk="p" and sk in -10, 0, 1.5, 2, 10, 100 (written out of order), plus
    another partition."""
    for sk in ["10", "2", "-10", "100", "1.5", "0"]:
        ddb.put_item(TableName=sorted_table, Item={"pk": {"S": "p"}, "sk": {"N": sk}, "v": {"N": sk}})
    ddb.put_item(TableName=sorted_table, Item=item(pk="other", sk=1))
    return sorted_table


def q(ddb, table_name, cond, vals, **kw):
    return ddb.query(TableName=table_name, KeyConditionExpression=cond,
                     ExpressionAttributeValues={k: av(v) for k, v in vals.items()}, **kw)


# ---------------------------------------------------------------------------------------------
# Key conditions and order


def test_query_numeric_sort_order(ddb, numbers):
    r = q(ddb, numbers, "pk = :p", {":p": "p"})
    assert [i["sk"]["N"] for i in r["Items"]] == ["-10", "0", "1.5", "2", "10", "100"]
    assert r["Count"] == 6 and r["ScannedCount"] == 6
    assert "LastEvaluatedKey" not in r


def test_query_backwards(ddb, numbers):
    r = q(ddb, numbers, "pk = :p", {":p": "p"}, ScanIndexForward=False)
    assert [i["sk"]["N"] for i in r["Items"]] == ["100", "10", "2", "1.5", "0", "-10"]


@pytest.mark.parametrize("cond,vals,expected", [
    ("pk = :p AND sk = :a", {":a": 2}, ["2"]),
    ("pk = :p AND sk < :a", {":a": 2}, ["-10", "0", "1.5"]),
    ("pk = :p AND sk <= :a", {":a": 2}, ["-10", "0", "1.5", "2"]),
    ("pk = :p AND sk > :a", {":a": 2}, ["10", "100"]),
    ("pk = :p AND sk >= :a", {":a": 2}, ["2", "10", "100"]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": 0, ":b": 10}, ["0", "1.5", "2", "10"]),
    ("sk BETWEEN :a AND :b AND pk = :p", {":a": -10, ":b": -10}, ["-10"]),
    ("(pk = :p) AND (sk > :a)", {":a": 99}, ["100"]),
])
def test_query_key_condition_forms(ddb, numbers, cond, vals, expected):
    r = q(ddb, numbers, cond, {":p": "p", **vals})
    assert [i["sk"]["N"] for i in r["Items"]] == expected


def test_query_begins_with_and_bytewise_string_order(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    words = ["b", "a", "ab", "B", "Z", "\u00e9", "\uff5a", "\U0001F600", "a\u0000", "aa"]
    for w in words:
        ddb.put_item(TableName=t, Item=item(pk="p", sk=w))
    got = keys_of(q(ddb, t, "pk = :p", {":p": "p"})["Items"])
    assert got == sorted(words, key=lambda s: s.encode("utf-8"))
    assert got.index("\uff5a") < got.index("\U0001F600")  # UTF-8 order, not UTF-16
    got = keys_of(q(ddb, t, "pk = :p AND begins_with(sk, :pre)", {":p": "p", ":pre": "a"})["Items"])
    assert got == ["a", "a\u0000", "aa", "ab"]


def test_query_binary_sort_order_is_unsigned(ddb, make_table):
    t = make_table(range_key=("sk", "B"))
    blobs = [b"\xff", b"\x00", b"\x80", b"\x7f", b"\x01\x00", b"\x01"]
    for blob in blobs:
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"B": blob}})
    r = ddb.query(TableName=t, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": av("p")})
    assert [i["sk"]["B"] for i in r["Items"]] == sorted(blobs)


def test_query_missing_hash_condition(ddb, numbers):
    assert err(ddb.query, TableName=numbers, KeyConditionExpression="sk = :a",
               ExpressionAttributeValues={":a": av(1)}) == (
        "ValidationException", "Query condition missed key schema element: pk")


@pytest.mark.parametrize("cond", [
    "pk = :p OR sk = :a", "pk = :p AND sk <> :a", "pk = :p AND v = :a", "pk < :p", "begins_with(pk, :p)",
    "pk = :p AND sk IN (:a)", "pk = :p AND NOT sk = :a",
])
def test_query_unsupported_key_conditions(ddb, numbers, cond):
    code, _ = err(ddb.query, TableName=numbers, KeyConditionExpression=cond,
                  ExpressionAttributeValues=values(cond, {":p": av("p"), ":a": av(1)}))
    assert code == "ValidationException"


def test_query_begins_with_on_number_sort_key_rejected(ddb, numbers):
    code, _ = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                  ExpressionAttributeValues={":p": av("p"), ":a": av(1)})
    assert code == "ValidationException"


def test_query_key_value_wrong_type(ddb, numbers):
    code, msg = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p AND sk = :a",
                    ExpressionAttributeValues={":p": av("p"), ":a": av("text")})
    assert code == "ValidationException"
    assert "Condition parameter type does not match schema type" in msg


def test_query_and_scan_missing_table(ddb, missing_table):
    code, msg = err(ddb.query, TableName=missing_table, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": av("p")})
    assert code == "ResourceNotFoundException" and msg.startswith(NOT_FOUND)
    code, msg = err(ddb.scan, TableName=missing_table)
    assert code == "ResourceNotFoundException" and msg.startswith(NOT_FOUND)


def test_query_missing_index(ddb, numbers):
    assert err(ddb.query, TableName=numbers, IndexName="nope", KeyConditionExpression="pk = :p",
               ExpressionAttributeValues={":p": av("p")}) == (
        "ValidationException", "The table does not have the specified index: nope")


# ---------------------------------------------------------------------------------------------
# Filters, Select, Count


def test_query_filter_counts(ddb, numbers):
    r = q(ddb, numbers, "pk = :p", {":p": "p", ":z": 1}, FilterExpression="v > :z")
    assert [i["sk"]["N"] for i in r["Items"]] == ["1.5", "2", "10", "100"]
    assert r["Count"] == 4 and r["ScannedCount"] == 6


def test_query_limit_applies_before_filter(ddb, numbers):
    r = q(ddb, numbers, "pk = :p", {":p": "p", ":z": 1}, FilterExpression="v > :z", Limit=3)
    assert [i["sk"]["N"] for i in r["Items"]] == ["1.5"]
    assert r["Count"] == 1 and r["ScannedCount"] == 3
    assert r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "1.5"}}


def test_select_count(ddb, numbers):
    r = q(ddb, numbers, "pk = :p", {":p": "p", ":z": 1}, Select="COUNT", FilterExpression="v > :z")
    assert "Items" not in r
    assert r["Count"] == 4 and r["ScannedCount"] == 6


def test_select_specific_attributes(ddb, numbers):
    r = q(ddb, numbers, "pk = :p AND sk = :a", {":p": "p", ":a": 2}, Select="SPECIFIC_ATTRIBUTES",
          ProjectionExpression="v")
    assert r["Items"] == [{"v": {"N": "2"}}]
    r = q(ddb, numbers, "pk = :p AND sk = :a", {":p": "p", ":a": 2}, ProjectionExpression="sk")
    assert r["Items"] == [{"sk": {"N": "2"}}]


def test_select_specific_without_projection_rejected(ddb, numbers):
    code, _ = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": av("p")}, Select="SPECIFIC_ATTRIBUTES")
    assert code == "ValidationException"


def test_select_all_attributes_with_projection_rejected(ddb, numbers):
    code, _ = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": av("p")}, Select="ALL_ATTRIBUTES", ProjectionExpression="v")
    assert code == "ValidationException"


def test_select_all_projected_needs_index(ddb, numbers):
    code, _ = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": av("p")}, Select="ALL_PROJECTED_ATTRIBUTES")
    assert code == "ValidationException"


POOL = {":n": av(5), ":s": av("hello"), ":x": av("x"), ":two": av(2), ":S": av("S"), ":lo": av(1), ":hi": av(6),
        ":he": av("he")}


@pytest.mark.parametrize("expr,expected", [
    ("n = :n", ["a"]),
    ("n BETWEEN :lo AND :hi", ["a", "b"]),
    ("s IN (:s, :x)", ["a", "c"]),
    ("attribute_exists(l)", ["a"]),
    ("attribute_not_exists(n)", ["c"]),
    ("attribute_type(s, :S)", ["a", "c"]),
    ("contains(l, :x)", ["a"]),
    ("size(l) = :two", ["a"]),
    ("begins_with(s, :he)", ["a"]),
    ("NOT n = :n", ["b", "c"]),
    ("(n = :n OR s = :x) AND attribute_exists(s)", ["a", "c"]),
    ("m.k = :x", ["b"]),
])
def test_scan_filter_expressions(ddb, table, expr, expected):
    put_items(ddb, table, [
        item(pk="a", n=5, s="hello", l=["x", "y"]),
        item(pk="b", n=2, m={"k": "x"}),
        item(pk="c", s="x"),
    ])
    vals = values(expr, POOL)
    r = ddb.scan(TableName=table, FilterExpression=expr, **({"ExpressionAttributeValues": vals} if vals else {}))
    assert sorted(plain(i)["pk"] for i in r["Items"]) == expected
    assert r["ScannedCount"] == 3


def test_filter_on_key_attribute_rejected_in_query(ddb, numbers):
    code, _ = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
                  FilterExpression="sk > :a", ExpressionAttributeValues={":p": av("p"), ":a": av(1)})
    assert code == "ValidationException"


# ---------------------------------------------------------------------------------------------
# Pagination


def test_query_limit_and_exclusive_start_key_round_trip(ddb, numbers):
    seen, start = [], None
    for _ in range(10):
        kw = {"ExclusiveStartKey": start} if start else {}
        r = q(ddb, numbers, "pk = :p", {":p": "p"}, Limit=4, **kw)
        seen += [i["sk"]["N"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
    assert seen == ["-10", "0", "1.5", "2", "10", "100"]


def test_query_paginator_returns_each_item_once(ddb, sorted_table):
    for i in range(23):
        ddb.put_item(TableName=sorted_table, Item=item(pk="p", sk=i))
    got = query_all(ddb, TableName=sorted_table, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": av("p")}, PaginationConfig={"PageSize": 5})
    assert keys_of(got) == list(range(23))


def test_scan_paginator_returns_each_item_once(ddb, sorted_table):
    expected = set()
    for p in range(5):
        for s in range(7):
            ddb.put_item(TableName=sorted_table, Item=item(pk=f"p{p}", sk=s))
            expected.add((f"p{p}", s))
    got = scan_all(ddb, TableName=sorted_table, PaginationConfig={"PageSize": 4})
    pairs = [(plain(i)["pk"], plain(i)["sk"]) for i in got]
    assert len(pairs) == len(expected) and set(pairs) == expected


def test_scan_items_of_a_partition_are_in_sort_order(ddb, numbers):
    got = [plain(i) for i in scan_all(ddb, TableName=numbers)]
    assert [i["sk"] for i in got if i["pk"] == "p"] == sorted(i["sk"] for i in got if i["pk"] == "p")


def test_query_one_megabyte_page(ddb, sorted_table):
    blob = "x" * (100 * KB)
    for i in range(15):  # ~1.5 MB in one partition
        ddb.put_item(TableName=sorted_table, Item=item(pk="big", sk=i, v=blob))
    first = q(ddb, sorted_table, "pk = :p", {":p": "big"})
    assert "LastEvaluatedKey" in first
    assert 0 < len(first["Items"]) < 15
    rest = q(ddb, sorted_table, "pk = :p", {":p": "big"}, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert keys_of(first["Items"]) + keys_of(rest["Items"]) == list(range(15))


def test_scan_one_megabyte_page(ddb, table):
    blob = "x" * (100 * KB)
    for i in range(15):
        ddb.put_item(TableName=table, Item=item(pk=f"k{i}", v=blob))
    first = ddb.scan(TableName=table)
    assert "LastEvaluatedKey" in first and 0 < len(first["Items"]) < 15
    assert len(scan_all(ddb, TableName=table)) == 15


def test_invalid_exclusive_start_key(ddb, numbers):
    code, msg = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": av("p")}, ExclusiveStartKey={"pk": {"S": "p"}})
    assert code == "ValidationException"
    assert msg.startswith("The provided starting key is invalid")


# ---------------------------------------------------------------------------------------------
# Parallel scan


def test_parallel_scan_covers_every_item_once(ddb, table):
    expected = {f"k{i:03d}" for i in range(60)}
    for k in expected:
        ddb.put_item(TableName=table, Item=item(pk=k))
    got = []
    for seg in range(4):
        got += [plain(i)["pk"] for i in scan_all(ddb, TableName=table, Segment=seg, TotalSegments=4,
                                                  PaginationConfig={"PageSize": 7})]
    assert len(got) == 60 and set(got) == expected


def test_parallel_scan_one_segment_is_everything(ddb, table):
    put_items(ddb, table, [item(pk=f"k{i}") for i in range(5)])
    assert len(scan_all(ddb, TableName=table, Segment=0, TotalSegments=1)) == 5


def test_parallel_scan_parameter_errors(ddb, table):
    assert err(ddb.scan, TableName=table, Segment=0) == (
        "ValidationException",
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
    assert err(ddb.scan, TableName=table, TotalSegments=2) == (
        "ValidationException",
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
    assert err(ddb.scan, TableName=table, Segment=2, TotalSegments=2) == (
        "ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 2 is not less than TotalSegments: 2")


# ---------------------------------------------------------------------------------------------
# Global secondary indexes


@pytest.fixture
def gsi_table(ddb, make_table):
    t = make_table(gsis=[
        index("by_g", ("gk", "S"), ("gs", "N"), projection="ALL"),
        index("keys_only", ("gk", "S"), projection="KEYS_ONLY"),
        index("incl", ("gk", "S"), ("gs", "N"), projection="INCLUDE", non_key=["a"]),
    ])
    put_items(ddb, t, [
        item(pk="1", gk="g", gs=3, a="a1", b="b1"),
        item(pk="2", gk="g", gs=1, a="a2", b="b2"),
        item(pk="3", gk="h", gs=2, a="a3"),
        item(pk="4", a="sparse"),  # no gk: in no index
    ])
    return t


def gq(ddb, t, idx, **kw):
    """Queries gk = "g" (two items) on a GSI until both are there (GSIs are eventually consistent)."""
    def check():
        r = ddb.query(TableName=t, IndexName=idx, KeyConditionExpression="gk = :g",
                      ExpressionAttributeValues={":g": av("g")}, **kw)
        assert r["Count"] == 2, r
        return r
    return eventually(check)


def test_gsi_query_all_projection_in_index_order(ddb, gsi_table):
    r = gq(ddb, gsi_table, "by_g")
    assert [plain(i) for i in r["Items"]] == [
        {"pk": "2", "gk": "g", "gs": 1, "a": "a2", "b": "b2"},
        {"pk": "1", "gk": "g", "gs": 3, "a": "a1", "b": "b1"},
    ]


def test_gsi_keys_only_projection(ddb, gsi_table):
    r = gq(ddb, gsi_table, "keys_only")
    assert sorted(plain(i)["pk"] for i in r["Items"]) == ["1", "2"]
    assert all(set(i) == {"pk", "gk"} for i in r["Items"])


def test_gsi_include_projection(ddb, gsi_table):
    r = gq(ddb, gsi_table, "incl")
    assert [plain(i) for i in r["Items"]] == [{"pk": "2", "gk": "g", "gs": 1, "a": "a2"},
                                               {"pk": "1", "gk": "g", "gs": 3, "a": "a1"}]
    r = gq(ddb, gsi_table, "incl", Select="ALL_PROJECTED_ATTRIBUTES")
    assert all("b" not in i for i in r["Items"])


def test_gsi_select_all_attributes_needs_all_projection(ddb, gsi_table):
    code, msg = err(ddb.query, TableName=gsi_table, IndexName="keys_only", KeyConditionExpression="gk = :g",
                    ExpressionAttributeValues={":g": av("g")}, Select="ALL_ATTRIBUTES")
    assert (code, msg) == ("ValidationException",
                           "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for "
                           "global secondary index keys_only because its projection type is not ALL")


def test_gsi_consistent_read_rejected(ddb, gsi_table):
    assert err(ddb.query, TableName=gsi_table, IndexName="by_g", KeyConditionExpression="gk = :g",
               ExpressionAttributeValues={":g": av("g")}, ConsistentRead=True) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")
    assert err(ddb.scan, TableName=gsi_table, IndexName="by_g", ConsistentRead=True) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")


def test_gsi_is_sparse(ddb, gsi_table):
    def check():
        got = scan_all(ddb, TableName=gsi_table, IndexName="by_g")
        assert sorted(plain(i)["pk"] for i in got) == ["1", "2", "3"]
    eventually(check)


def test_gsi_follows_updates_and_deletes(ddb, gsi_table):
    ddb.update_item(TableName=gsi_table, Key=item(pk="3"), UpdateExpression="SET gk = :g",
                    ExpressionAttributeValues={":g": av("g")})
    ddb.delete_item(TableName=gsi_table, Key=item(pk="1"))

    def check():
        r = ddb.query(TableName=gsi_table, IndexName="by_g", KeyConditionExpression="gk = :g",
                      ExpressionAttributeValues={":g": av("g")})
        assert [plain(i)["pk"] for i in r["Items"]] == ["2", "3"]
        r = ddb.query(TableName=gsi_table, IndexName="by_g", KeyConditionExpression="gk = :g",
                      ExpressionAttributeValues={":g": av("h")})
        assert r["Items"] == []
    eventually(check)


def test_gsi_key_condition_on_range_and_paging(ddb, make_table):
    t = make_table(gsis=[index("by_g", ("gk", "S"), ("gs", "N"))])
    for i in range(10):
        ddb.put_item(TableName=t, Item=item(pk=str(i), gk="g", gs=i))

    def check():
        got = query_all(ddb, TableName=t, IndexName="by_g", KeyConditionExpression="gk = :g AND gs >= :lo",
                        ExpressionAttributeValues={":g": av("g"), ":lo": av(4)}, PaginationConfig={"PageSize": 3})
        assert [plain(i)["gs"] for i in got] == list(range(4, 10))
    eventually(check)


def test_gsi_rejects_wrong_index_key_type(ddb, make_table):
    t = make_table(gsis=[index("by_g", ("gk", "S"))])
    code, msg = err(ddb.put_item, TableName=t, Item=item(pk="1", gk=5))
    assert code == "ValidationException"
    assert "Type mismatch for Index Key gk Expected: S Actual: N IndexName: by_g" in msg


# ---------------------------------------------------------------------------------------------
# Local secondary indexes


@pytest.fixture
def lsi_table(ddb, make_table):
    t = make_table(range_key=("sk", "S"), lsis=[
        index("by_n", ("pk", "S"), ("n", "N"), projection="KEYS_ONLY"),
    ])
    put_items(ddb, t, [
        item(pk="p", sk="a", n=30, v="va"),
        item(pk="p", sk="b", n=10, v="vb"),
        item(pk="p", sk="c", v="no n"),  # not in the index
        item(pk="p", sk="d", n=20, v="vd"),
    ])
    return t


def test_lsi_query_orders_by_index_sort_key(ddb, lsi_table):
    r = ddb.query(TableName=lsi_table, IndexName="by_n", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": av("p")}, ConsistentRead=True)
    assert [plain(i) for i in r["Items"]] == [{"pk": "p", "sk": "b", "n": 10}, {"pk": "p", "sk": "d", "n": 20},
                                               {"pk": "p", "sk": "a", "n": 30}]


def test_lsi_range_condition_and_fetch_of_unprojected(ddb, lsi_table):
    r = ddb.query(TableName=lsi_table, IndexName="by_n", KeyConditionExpression="pk = :p AND n > :x",
                  ExpressionAttributeValues={":p": av("p"), ":x": av(15)}, Select="ALL_ATTRIBUTES")
    assert [plain(i) for i in r["Items"]] == [{"pk": "p", "sk": "d", "n": 20, "v": "vd"},
                                               {"pk": "p", "sk": "a", "n": 30, "v": "va"}]


def test_lsi_scan_is_sparse(ddb, lsi_table):
    assert sorted(plain(i)["sk"] for i in scan_all(ddb, TableName=lsi_table, IndexName="by_n")) == ["a", "b", "d"]


# ---------------------------------------------------------------------------------------------
# Legacy forms


def test_key_conditions_legacy(ddb, numbers):
    r = ddb.query(TableName=numbers, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [av("p")]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [av(0), av(2)]}})
    assert [i["sk"]["N"] for i in r["Items"]] == ["0", "1.5", "2"]


def test_query_filter_and_attributes_to_get_legacy(ddb, numbers):
    r = ddb.query(TableName=numbers, AttributesToGet=["sk"],
                  KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [av("p")]}},
                  QueryFilter={"v": {"ComparisonOperator": "GE", "AttributeValueList": [av(10)]}})
    assert r["Items"] == [{"sk": {"N": "10"}}, {"sk": {"N": "100"}}]
    assert r["ScannedCount"] == 6


def test_scan_filter_legacy_with_or(ddb, table):
    put_items(ddb, table, [item(pk="a", n=1), item(pk="b", n=2, s="yes"), item(pk="c", n=3)])
    r = ddb.scan(TableName=table, ConditionalOperator="OR", ScanFilter={
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [av(1)]},
        "s": {"ComparisonOperator": "NOT_NULL"}})
    assert sorted(plain(i)["pk"] for i in r["Items"]) == ["a", "b"]
    r = ddb.scan(TableName=table, ScanFilter={"n": {"ComparisonOperator": "IN",
                                                    "AttributeValueList": [av(2), av(3)]}})
    assert sorted(plain(i)["pk"] for i in r["Items"]) == ["b", "c"]


def test_legacy_and_expression_mixed(ddb, numbers):
    code, msg = err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": av("p")},
                    QueryFilter={"v": {"ComparisonOperator": "NOT_NULL"}})
    assert code == "ValidationException"
    assert msg.startswith("Can not use both expression and non-expression parameters in the same request")


# ---------------------------------------------------------------------------------------------
# The AWS CLI


def test_cli_scan_paginates(aws, ddb, table):
    put_items(ddb, table, [item(pk=f"k{i}") for i in range(12)])
    out = aws("dynamodb", "scan", "--table-name", table, "--page-size", "5")
    assert out["Count"] == 12 and len(out["Items"]) == 12
    out = aws("dynamodb", "query", "--table-name", table, "--key-condition-expression", "pk = :p",
              "--expression-attribute-values", '{":p": {"S": "k3"}}')
    assert out["Items"] == [{"pk": {"S": "k3"}}]


def test_wrong_key_in_query_start_key(ddb, numbers):
    assert err(ddb.query, TableName=numbers, KeyConditionExpression="pk = :p",
               ExpressionAttributeValues={":p": av("p")},
               ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "not a number"}}) == (
        "ValidationException", "The provided starting key is invalid: " + KEY_SCHEMA_MISMATCH)
