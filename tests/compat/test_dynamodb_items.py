"""DynamoDB single-item operations with real clients: PutItem, GetItem, UpdateItem, DeleteItem.

Written from the DynamoDB API reference and developer guide: data types and their rules
(numbers, sets, empty values, item size), keys, ReturnValues, condition expressions,
update expressions, projections, ExpressionAttributeNames/Values checks, the legacy
parameters, consumed capacity, item collection metrics, and what a user sees when wrong.
"""
from decimal import Decimal

import boto3
import pytest
from botocore.config import Config

from conftest import CREDS, REGION
from ddb_helpers import (CONDITION_FAILED, KB, KEY_SCHEMA_MISMATCH, NOT_FOUND, av, ddb,  # noqa: F401
                         err, err_response, index, item, make_table, missing_table, plain,
                         sorted_table, table, values)

# ---------------------------------------------------------------------------------------------
# Round trips and data types


def test_put_get_every_type(ddb, table):
    it = {
        "pk": {"S": "k"},
        "s": {"S": "text"},
        "n": {"N": "42"},
        "b": {"B": b"\x00\x01\xff"},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "z": {"NULL": True},
        "m": {"M": {"a": {"N": "1"}, "inner": {"M": {"x": {"S": "y"}}}}},
        "l": {"L": [{"S": "a"}, {"N": "2"}, {"L": []}, {"M": {}}]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
    }
    ddb.put_item(TableName=table, Item=it)
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]
    assert plain(got) == plain(it)
    assert got["s"] == {"S": "text"} and got["n"] == {"N": "42"} and got["b"] == {"B": b"\x00\x01\xff"}
    assert got["l"] == it["l"] and got["m"] == it["m"]


def test_get_missing_item_has_no_item(ddb, table):
    r = ddb.get_item(TableName=table, Key={"pk": {"S": "nobody"}})
    assert "Item" not in r


def test_put_replaces_whole_item(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="a", x=1, y=2))
    ddb.put_item(TableName=table, Item=item(pk="a", z=3))
    assert plain(ddb.get_item(TableName=table, Key=item(pk="a"))["Item"]) == {"pk": "a", "z": 3}


def test_delete_item_and_delete_missing_is_ok(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="a"))
    r = ddb.delete_item(TableName=table, Key=item(pk="a"))
    assert "Attributes" not in r
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="a"))
    ddb.delete_item(TableName=table, Key=item(pk="a"))


def test_consistent_read_sees_latest_write(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="c", v=1))
    ddb.put_item(TableName=table, Item=item(pk="c", v=2))
    got = ddb.get_item(TableName=table, Key=item(pk="c"), ConsistentRead=True)["Item"]
    assert got["v"] == {"N": "2"}


def test_composite_key_items_are_distinct(ddb, sorted_table):
    ddb.put_item(TableName=sorted_table, Item=item(pk="p", sk=1, v="one"))
    ddb.put_item(TableName=sorted_table, Item=item(pk="p", sk=2, v="two"))
    got = ddb.get_item(TableName=sorted_table, Key=item(pk="p", sk=2))["Item"]
    assert got["v"] == {"S": "two"}
    # 1 and 1.0 are the same number, so the same key.
    got = ddb.get_item(TableName=sorted_table, Key={"pk": {"S": "p"}, "sk": {"N": "1.0"}})["Item"]
    assert got["v"] == {"S": "one"}


def test_resource_api_round_trip(endpoint, make_table):
    name = make_table()
    res = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=REGION,
                         aws_access_key_id=CREDS["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=CREDS["AWS_SECRET_ACCESS_KEY"],
                         config=Config(retries={"max_attempts": 1}))
    t = res.Table(name)
    t.put_item(Item={"pk": "r", "price": Decimal("9.99"), "tags": {"x", "y"}, "doc": {"a": [1, "b"]}})
    assert t.get_item(Key={"pk": "r"})["Item"] == {
        "pk": "r", "price": Decimal("9.99"), "tags": {"x", "y"}, "doc": {"a": [Decimal(1), "b"]}}


# ---------------------------------------------------------------------------------------------
# Numbers


@pytest.mark.parametrize("given,stored", [
    ("1.50", "1.5"), ("0010", "10"), ("-0", "0"), ("1e2", "100"), ("0.10", "0.1"), ("+7", "7"),
    ("-3.140", "-3.14"),
])
def test_number_is_normalized(ddb, table, given, stored):
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "v": {"N": given}})
    assert ddb.get_item(TableName=table, Key=item(pk="n"))["Item"]["v"] == {"N": stored}


def test_number_38_digits_kept_exactly(ddb, table):
    big = "12345678901234567890123456789012345678"
    frac = "0.12345678901234567890123456789012345678"
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "a": {"N": big}, "b": {"N": frac},
                                        "c": {"N": "-" + big}, "d": {"N": "1E+125"}, "e": {"N": "1E-130"}})
    got = ddb.get_item(TableName=table, Key=item(pk="n"))["Item"]
    assert got["a"] == {"N": big} and got["b"] == {"N": frac} and got["c"] == {"N": "-" + big}
    assert Decimal(got["d"]["N"]) == Decimal("1E+125") and Decimal(got["e"]["N"]) == Decimal("1E-130")


def test_number_39_digits_rejected(ddb, table):
    code, msg = err(ddb.put_item, TableName=table,
                    Item={"pk": {"S": "n"}, "a": {"N": "123456789012345678901234567890123456789"}})
    assert (code, msg) == ("ValidationException", "Attempting to store more than 38 significant digits in a Number")


def test_number_out_of_range_rejected(ddb, table):
    code, msg = err(ddb.put_item, TableName=table, Item={"pk": {"S": "n"}, "a": {"N": "1e126"}})
    assert (code, msg) == ("ValidationException",
                           "Number overflow. Attempting to store a number with magnitude larger than supported range")
    code, msg = err(ddb.put_item, TableName=table, Item={"pk": {"S": "n"}, "a": {"N": "1e-131"}})
    assert (code, msg) == ("ValidationException",
                           "Number underflow. Attempting to store a number with magnitude smaller than supported range")


@pytest.mark.parametrize("bad", ["dog", "NaN", "Infinity", " 1", "1 ", "1..2", ""])
def test_number_not_numeric_rejected(ddb, table, bad):
    code, msg = err(ddb.put_item, TableName=table, Item={"pk": {"S": "n"}, "a": {"N": bad}})
    assert code == "ValidationException"
    assert msg.startswith("The parameter cannot be converted to a numeric value")


def test_number_arithmetic_is_exact(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "a": {"N": "9999999999999999999999"}})
    ddb.update_item(TableName=table, Key=item(pk="n"), UpdateExpression="SET a = a + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert ddb.get_item(TableName=table, Key=item(pk="n"))["Item"]["a"] == {"N": "10000000000000000000000"}
    ddb.update_item(TableName=table, Key=item(pk="n"), UpdateExpression="SET a = a - :x",
                    ExpressionAttributeValues={":x": {"N": "0.5"}})
    assert ddb.get_item(TableName=table, Key=item(pk="n"))["Item"]["a"] == {"N": "9999999999999999999999.5"}


# ---------------------------------------------------------------------------------------------
# Sets and empty values


@pytest.mark.parametrize("attr,message", [
    ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
    ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
    ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
])
def test_empty_set_rejected(ddb, table, attr, message):
    assert err(ddb.put_item, TableName=table, Item={"pk": {"S": "s"}, "x": attr}) == ("ValidationException", message)


def test_string_set_duplicates_rejected(ddb, table):
    assert err(ddb.put_item, TableName=table, Item={"pk": {"S": "s"}, "x": {"SS": ["a", "a"]}}) == (
        "ValidationException", "One or more parameter values were invalid: Input collection [a, a] contains duplicates.")


def test_number_set_duplicates_rejected(ddb, table):
    code, msg = err(ddb.put_item, TableName=table, Item={"pk": {"S": "s"}, "x": {"NS": ["1", "1"]}})
    assert code == "ValidationException" and "contains duplicates" in msg


def test_empty_string_and_binary_allowed_outside_keys(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "e"}, "s": {"S": ""}, "b": {"B": b""},
                                        "l": {"L": [{"S": ""}]}, "m": {"M": {"k": {"S": ""}}}})
    got = ddb.get_item(TableName=table, Key=item(pk="e"))["Item"]
    assert got["s"] == {"S": ""} and got["b"] == {"B": b""}
    assert got["l"] == {"L": [{"S": ""}]} and got["m"] == {"M": {"k": {"S": ""}}}


def test_empty_string_key_rejected(ddb, table):
    assert err(ddb.put_item, TableName=table, Item={"pk": {"S": ""}}) == (
        "ValidationException",
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
        "an empty string value. Key: pk")


def test_empty_binary_key_rejected(ddb, make_table):
    t = make_table(hash_key=("bk", "B"))
    assert err(ddb.put_item, TableName=t, Item={"bk": {"B": b""}}) == (
        "ValidationException",
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
        "an empty binary value. Key: bk")


def test_null_must_be_true(ddb, table):
    code, msg = err(ddb.put_item, TableName=table, Item={"pk": {"S": "z"}, "x": {"NULL": False}})
    assert code == "ValidationException"
    assert "Null attribute value types must have the value of true" in msg


# ---------------------------------------------------------------------------------------------
# Keys


def test_get_wrong_key_type(ddb, table):
    assert err(ddb.get_item, TableName=table, Key={"pk": {"N": "1"}}) == ("ValidationException", KEY_SCHEMA_MISMATCH)


def test_get_missing_sort_key(ddb, sorted_table):
    assert err(ddb.get_item, TableName=sorted_table, Key=item(pk="p")) == ("ValidationException", KEY_SCHEMA_MISMATCH)


def test_get_extra_key_attribute(ddb, table):
    assert err(ddb.get_item, TableName=table, Key=item(pk="p", other="x")) == (
        "ValidationException", KEY_SCHEMA_MISMATCH)


def test_delete_and_update_wrong_key(ddb, table):
    assert err(ddb.delete_item, TableName=table, Key={"pk": {"B": b"x"}}) == ("ValidationException", KEY_SCHEMA_MISMATCH)
    assert err(ddb.update_item, TableName=table, Key={"nope": {"S": "x"}}, UpdateExpression="SET a = :v",
               ExpressionAttributeValues={":v": {"S": "x"}}) == ("ValidationException", KEY_SCHEMA_MISMATCH)


def test_put_missing_key(ddb, sorted_table):
    assert err(ddb.put_item, TableName=sorted_table, Item=item(pk="p", v=1)) == (
        "ValidationException", "One or more parameter values were invalid: Missing the key sk in the item")


def test_put_wrong_key_type(ddb, table):
    assert err(ddb.put_item, TableName=table, Item={"pk": {"N": "1"}}) == (
        "ValidationException", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")


def test_update_key_attribute_rejected(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="k"))
    assert err(ddb.update_item, TableName=table, Key=item(pk="k"), UpdateExpression="SET pk = :v",
               ExpressionAttributeValues={":v": av("other")}) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")


# ---------------------------------------------------------------------------------------------
# Missing table


@pytest.mark.parametrize("op", ["put_item", "get_item", "update_item", "delete_item"])
def test_missing_table(ddb, missing_table, op):
    kw = {"TableName": missing_table}
    if op == "put_item":
        kw["Item"] = item(pk="a")
    else:
        kw["Key"] = item(pk="a")
    if op == "update_item":
        kw.update(UpdateExpression="SET a = :v", ExpressionAttributeValues={":v": av(1)})
    code, msg = err(getattr(ddb, op), **kw)
    assert code == "ResourceNotFoundException"
    assert msg.startswith(NOT_FOUND)


# ---------------------------------------------------------------------------------------------
# Item size


def test_item_over_400kb_rejected(ddb, table):
    assert err(ddb.put_item, TableName=table, Item=item(pk="big", v="x" * (400 * KB))) == (
        "ValidationException", "Item size has exceeded the maximum allowed size")


def test_item_just_under_400kb_accepted(ddb, table):
    # size = attribute name lengths + value lengths: "pk"+"big" + "v"+value, 100 bytes spare
    value = "x" * (400 * KB - len("pkbigv") - 100)
    ddb.put_item(TableName=table, Item=item(pk="big", v=value))
    assert len(ddb.get_item(TableName=table, Key=item(pk="big"))["Item"]["v"]["S"]) == len(value)


def test_update_growing_past_400kb_rejected(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="big", a="x" * (300 * KB)))
    code, msg = err(ddb.update_item, TableName=table, Key=item(pk="big"), UpdateExpression="SET b = :v",
                    ExpressionAttributeValues={":v": av("y" * (200 * KB))})
    assert (code, msg) == ("ValidationException", "Item size to update has exceeded the maximum allowed size")


# ---------------------------------------------------------------------------------------------
# ReturnValues


def test_put_return_all_old(ddb, table):
    assert "Attributes" not in ddb.put_item(TableName=table, Item=item(pk="r", v=1), ReturnValues="ALL_OLD")
    r = ddb.put_item(TableName=table, Item=item(pk="r", v=2), ReturnValues="ALL_OLD")
    assert plain(r["Attributes"]) == {"pk": "r", "v": 1}
    assert "Attributes" not in ddb.put_item(TableName=table, Item=item(pk="r", v=3), ReturnValues="NONE")


@pytest.mark.parametrize("op", ["put_item", "delete_item"])
@pytest.mark.parametrize("rv", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_put_delete_only_all_old_or_none(ddb, table, op, rv):
    kw = {"Item": item(pk="r")} if op == "put_item" else {"Key": item(pk="r")}
    assert err(getattr(ddb, op), TableName=table, ReturnValues=rv, **kw) == (
        "ValidationException", "ReturnValues can only be ALL_OLD or NONE")


def test_delete_return_all_old(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="r", v="gone"))
    r = ddb.delete_item(TableName=table, Key=item(pk="r"), ReturnValues="ALL_OLD")
    assert plain(r["Attributes"]) == {"pk": "r", "v": "gone"}
    assert "Attributes" not in ddb.delete_item(TableName=table, Key=item(pk="r"), ReturnValues="ALL_OLD")


@pytest.mark.parametrize("rv,expected", [
    ("ALL_OLD", {"pk": "u", "a": 1, "b": "keep", "c": "old"}),
    ("ALL_NEW", {"pk": "u", "a": 2, "b": "keep", "d": "new"}),
    ("UPDATED_OLD", {"a": 1, "c": "old"}),
    ("UPDATED_NEW", {"a": 2, "d": "new"}),
])
def test_update_return_values(ddb, table, rv, expected):
    ddb.put_item(TableName=table, Item=item(pk="u", a=1, b="keep", c="old"))
    r = ddb.update_item(TableName=table, Key=item(pk="u"), ReturnValues=rv,
                        UpdateExpression="SET a = a + :one, d = :new REMOVE c",
                        ExpressionAttributeValues={":one": av(1), ":new": av("new")})
    assert plain(r["Attributes"]) == expected


def test_update_return_updated_new_nested(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", m={"x": 1, "y": 2}))
    r = ddb.update_item(TableName=table, Key=item(pk="u"), ReturnValues="UPDATED_NEW",
                        UpdateExpression="SET m.x = :v", ExpressionAttributeValues={":v": av(10)})
    assert plain(r["Attributes"]) == {"m": {"x": 10}}


def test_condition_failure_returns_old_item(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="c", v="dog"))
    resp = err_response(ddb.put_item, TableName=table, Item=item(pk="c", v="cat"),
                        ConditionExpression="v = :x", ExpressionAttributeValues={":x": av("cow")},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert resp["Error"]["Code"] == "ConditionalCheckFailedException"
    assert plain(resp["Item"]) == {"pk": "c", "v": "dog"}


def test_condition_failure_without_return_has_no_item(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="c", v="dog"))
    for rv in ({}, {"ReturnValuesOnConditionCheckFailure": "NONE"}):
        resp = err_response(ddb.delete_item, TableName=table, Key=item(pk="c"),
                            ConditionExpression="attribute_not_exists(v)", **rv)
        assert resp["Error"]["Code"] == "ConditionalCheckFailedException"
        assert "Item" not in resp


def test_update_condition_failure_returns_old_item(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="c", n=1))
    resp = err_response(ddb.update_item, TableName=table, Key=item(pk="c"), UpdateExpression="SET n = :two",
                        ConditionExpression="n > :one", ExpressionAttributeValues={":one": av(1), ":two": av(2)},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert (resp["Error"]["Code"], resp["Error"]["Message"]) == ("ConditionalCheckFailedException", CONDITION_FAILED)
    assert plain(resp["Item"]) == {"pk": "c", "n": 1}


# ---------------------------------------------------------------------------------------------
# ConditionExpression: every comparator and function

POOL = {
    ":four": av(4), ":five": av(5), ":six": av(6), ":one": av(1), ":two": av(2), ":hello": av("hello"),
    ":he": av("he"), ":ell": av("ell"), ":a": av("a"), ":x": av("x"), ":zz": av("zz"), ":S": av("S"),
    ":N": av("N"), ":NULL": av("NULL"), ":L": av("L"), ":M": av("M"), ":SS": av("SS"), ":BOOL": av("BOOL"),
    ":B": av("B"), ":bytes": {"B": b"\x01\x02"}, ":b1": {"B": b"\x01"},
}
SUBJECT = {
    "pk": {"S": "c"}, "n": {"N": "5"}, "s": {"S": "hello"}, "l": {"L": [{"N": "1"}, {"S": "x"}]},
    "m": {"M": {"a": {"M": {"b": {"N": "1"}}}}}, "ss": {"SS": ["a", "b"]}, "b": {"B": b"\x01\x02"},
    "t": {"BOOL": True}, "z": {"NULL": True},
}
TRUE_CONDITIONS = [
    "n = :five", "n <> :four", "n < :six", "n <= :five", "n > :four", "n >= :five",
    "n BETWEEN :four AND :six", "n BETWEEN :five AND :five", "n IN (:four, :five)", "s IN (:hello)",
    "attribute_exists(s)", "attribute_not_exists(nope)", "attribute_exists(m.a.b)", "attribute_exists(l[1])",
    "attribute_type(s, :S)", "attribute_type(n, :N)", "attribute_type(z, :NULL)", "attribute_type(l, :L)",
    "attribute_type(m, :M)", "attribute_type(ss, :SS)", "attribute_type(t, :BOOL)", "attribute_type(b, :B)",
    "begins_with(s, :he)", "begins_with(b, :b1)", "contains(s, :ell)", "contains(ss, :a)", "contains(l, :x)",
    "size(s) = :five", "size(l) = :two", "size(ss) = :two", "size(m) = :one", "size(b) = :two",
    "m.a.b = :one", "l[1] = :x", "b = :bytes", "s > :he", "NOT n = :four", "n = :four OR s = :hello",
    "(n = :five AND s = :hello) OR n = :four", "NOT (n = :four OR n = :six)", "s < :zz",
    # a missing attribute, or one of another type, is "not equal"
    "nope <> :five", "s <> :five",
]
FALSE_CONDITIONS = [
    "n = :four", "n <> :five", "n < :five", "n <= :four", "n > :five", "n >= :six",
    "n BETWEEN :one AND :four", "n IN (:four, :six)", "attribute_exists(nope)", "attribute_not_exists(s)",
    "attribute_exists(m.a.c)", "attribute_exists(l[2])", "attribute_type(s, :N)", "begins_with(s, :ell)",
    "contains(s, :zz)", "contains(ss, :x)", "size(s) = :four", "m.a.b = :two", "NOT n = :five",
    "n = :four AND s = :hello", "s = :five", "n < :hello", "nope = :five", "nope < :five",
]


def _subject(ddb, table):
    ddb.put_item(TableName=table, Item=SUBJECT)


@pytest.mark.parametrize("cond", TRUE_CONDITIONS)
def test_condition_true_allows_write(ddb, table, cond):
    _subject(ddb, table)
    ddb.update_item(TableName=table, Key={"pk": {"S": "c"}}, UpdateExpression="SET done = :one",
                    ConditionExpression=cond, ExpressionAttributeValues=values(cond + " :one", POOL))
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "c"}})["Item"]["done"] == {"N": "1"}


@pytest.mark.parametrize("cond", FALSE_CONDITIONS)
def test_condition_false_rejects_write(ddb, table, cond):
    _subject(ddb, table)
    kw = {"ExpressionAttributeValues": values(cond, POOL)} if values(cond, POOL) else {}
    assert err(ddb.delete_item, TableName=table, Key={"pk": {"S": "c"}}, ConditionExpression=cond, **kw) == (
        "ConditionalCheckFailedException", CONDITION_FAILED)
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "c"}})


def test_condition_on_missing_item(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="new"), ConditionExpression="attribute_not_exists(pk)")
    assert err(ddb.put_item, TableName=table, Item=item(pk="new"),
               ConditionExpression="attribute_not_exists(pk)") == ("ConditionalCheckFailedException", CONDITION_FAILED)
    assert err(ddb.delete_item, TableName=table, Key=item(pk="absent"),
               ConditionExpression="attribute_exists(pk)") == ("ConditionalCheckFailedException", CONDITION_FAILED)


@pytest.mark.parametrize("cond", ["n = ", "n == :five", "attribute_exists()", "nosuchfn(n)", "n BETWEEN :six AND :four"])
def test_condition_invalid_expression(ddb, table, cond):
    code, msg = err(ddb.put_item, TableName=table, Item=item(pk="c"), ConditionExpression=cond,
                    **({"ExpressionAttributeValues": values(cond, POOL)} if values(cond, POOL) else {}))
    assert code == "ValidationException"
    assert msg.startswith("Invalid ConditionExpression: ")


# ---------------------------------------------------------------------------------------------
# ExpressionAttributeNames / ExpressionAttributeValues


def test_attribute_names_substitute_reserved_words(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="k", status={}))
    ddb.update_item(TableName=table, Key=item(pk="k"), UpdateExpression="SET #n = :v, #s.#d = :v2",
                    ExpressionAttributeNames={"#n": "name", "#s": "status", "#d": "a.b"},
                    ExpressionAttributeValues={":v": av("x"), ":v2": av(1)})
    got = plain(ddb.get_item(TableName=table, Key=item(pk="k"))["Item"])
    assert got == {"pk": "k", "name": "x", "status": {"a.b": 1}}


def test_reserved_word_without_placeholder(ddb, table):
    code, msg = err(ddb.update_item, TableName=table, Key=item(pk="k"), UpdateExpression="SET name = :v",
                    ExpressionAttributeValues={":v": av("x")})
    assert (code, msg) == ("ValidationException",
                           "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name")


def test_unused_attribute_value(ddb, table):
    assert err(ddb.put_item, TableName=table, Item=item(pk="k"), ConditionExpression="attribute_not_exists(pk)",
               ExpressionAttributeValues={":unused": av(1)}) == (
        "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")


def test_unused_attribute_name(ddb, table):
    assert err(ddb.get_item, TableName=table, Key=item(pk="k"), ProjectionExpression="#a",
               ExpressionAttributeNames={"#a": "a", "#b": "b"}) == (
        "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")


def test_undefined_attribute_value(ddb, table):
    assert err(ddb.put_item, TableName=table, Item=item(pk="k"), ConditionExpression="a = :missing") == (
        "ValidationException",
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
        "attribute value: :missing")


def test_undefined_attribute_name(ddb, table):
    assert err(ddb.update_item, TableName=table, Key=item(pk="k"), UpdateExpression="SET #missing = :v",
               ExpressionAttributeValues={":v": av(1)}) == (
        "ValidationException",
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #missing")


def test_undefined_name_in_projection(ddb, table):
    assert err(ddb.get_item, TableName=table, Key=item(pk="k"), ProjectionExpression="#a") == (
        "ValidationException",
        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #a")


def test_values_without_expression(ddb, table):
    code, msg = err(ddb.put_item, TableName=table, Item=item(pk="k"), ExpressionAttributeValues={":v": av(1)})
    assert code == "ValidationException"
    assert msg.startswith("ExpressionAttributeValues can only be specified when using expressions")


# ---------------------------------------------------------------------------------------------
# UpdateExpression


def _update(ddb, table, expr, vals=None, names=None, key="u"):
    kw = {"TableName": table, "Key": item(pk=key), "UpdateExpression": expr, "ReturnValues": "ALL_NEW"}
    if vals:
        kw["ExpressionAttributeValues"] = {k: av(v) if not isinstance(v, dict) else v for k, v in vals.items()}
    if names:
        kw["ExpressionAttributeNames"] = names
    return plain(ddb.update_item(**kw).get("Attributes", {}))


def test_update_creates_missing_item(ddb, table):
    assert _update(ddb, table, "SET a = :v", {":v": "x"}) == {"pk": "u", "a": "x"}
    assert plain(ddb.get_item(TableName=table, Key=item(pk="u"))["Item"]) == {"pk": "u", "a": "x"}


def test_update_remove_only_does_not_create_item(ddb, table):
    ddb.update_item(TableName=table, Key=item(pk="ghost"), UpdateExpression="REMOVE a")
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="ghost"))


def test_update_set_plus_minus(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", n=10, m=3))
    assert _update(ddb, table, "SET n = n + :d, m = m - :d, o = n - m", {":d": 2}) == {
        "pk": "u", "n": 12, "m": 1, "o": 7}


def test_update_if_not_exists(ddb, table):
    assert _update(ddb, table, "SET c = if_not_exists(c, :zero) + :one", {":zero": 0, ":one": 1})["c"] == 1
    assert _update(ddb, table, "SET c = if_not_exists(c, :zero) + :one", {":zero": 0, ":one": 1})["c"] == 2
    assert _update(ddb, table, "SET c = if_not_exists(c, :zero)", {":zero": 0})["c"] == 2


def test_update_list_append(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", l=[1, 2]))
    assert _update(ddb, table, "SET l = list_append(l, :more)", {":more": [3]})["l"] == [1, 2, 3]
    assert _update(ddb, table, "SET l = list_append(:front, l)", {":front": ["a"]})["l"] == ["a", 1, 2, 3]
    assert _update(ddb, table, "SET k = list_append(if_not_exists(k, :empty), :x)",
                   {":empty": [], ":x": ["only"]})["k"] == ["only"]


def test_update_set_list_element_and_past_end(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", l=["a", "b"]))
    assert _update(ddb, table, "SET l[0] = :v", {":v": "A"})["l"] == ["A", "b"]
    # An index past the end appends.
    assert _update(ddb, table, "SET l[10] = :v", {":v": "c"})["l"] == ["A", "b", "c"]


def test_update_set_nested_map(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", m={"a": {"b": 1}}))
    assert _update(ddb, table, "SET m.a.c = :v, m.z = :w", {":v": 2, ":w": "z"})["m"] == {"a": {"b": 1, "c": 2}, "z": "z"}


def test_update_set_under_missing_map_is_invalid(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u"))
    assert err(ddb.update_item, TableName=table, Key=item(pk="u"), UpdateExpression="SET m.a = :v",
               ExpressionAttributeValues={":v": av(1)}) == (
        "ValidationException", "The document path provided in the update expression is invalid for update")


def test_update_remove_attributes_and_list_elements(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", a=1, b=2, l=["x", "y", "z", "w"], m={"p": 1, "q": 2}))
    assert _update(ddb, table, "REMOVE a, l[1], l[3], m.p") == {"pk": "u", "b": 2, "l": ["x", "z"], "m": {"q": 2}}


def test_update_add_numbers(ddb, table):
    assert _update(ddb, table, "ADD n :five", {":five": 5})["n"] == 5
    assert _update(ddb, table, "ADD n :neg", {":neg": Decimal("-1.5")})["n"] == Decimal("3.5")


def test_update_add_and_delete_sets(ddb, table):
    assert _update(ddb, table, "ADD s :v", {":v": {"a", "b"}})["s"] == {"a", "b"}
    assert _update(ddb, table, "ADD s :v", {":v": {"b", "c"}})["s"] == {"a", "b", "c"}
    assert _update(ddb, table, "DELETE s :v", {":v": {"a", "zz"}})["s"] == {"b", "c"}
    assert _update(ddb, table, "ADD ns :v", {":v": {1, 2}})["ns"] == {1, 2}
    # Deleting every element removes the attribute.
    assert "s" not in _update(ddb, table, "DELETE s :v", {":v": {"b", "c"}})


def test_update_add_to_string_is_type_error(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u", s="text"))
    code, msg = err(ddb.update_item, TableName=table, Key=item(pk="u"), UpdateExpression="ADD s :one",
                    ExpressionAttributeValues={":one": av(1)})
    assert (code, msg) == ("ValidationException", "An operand in the update expression has an incorrect data type")


def test_update_plus_on_missing_attribute(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="u"))
    code, msg = err(ddb.update_item, TableName=table, Key=item(pk="u"), UpdateExpression="SET n = n + :one",
                    ExpressionAttributeValues={":one": av(1)})
    assert (code, msg) == ("ValidationException", "The provided expression refers to an attribute that does not exist in the item")


def test_update_overlapping_paths(ddb, table):
    code, msg = err(ddb.update_item, TableName=table, Key=item(pk="u"), UpdateExpression="SET a = :v REMOVE a",
                    ExpressionAttributeValues={":v": av(1)})
    assert code == "ValidationException"
    assert msg.startswith("Invalid UpdateExpression: Two document paths overlap with each other;")


@pytest.mark.parametrize("expr", ["SET", "SET a :v", "SET a = :v,", "UPSERT a = :v", "SET a = :v SET b = :v"])
def test_update_syntax_errors(ddb, table, expr):
    code, msg = err(ddb.update_item, TableName=table, Key=item(pk="u"), UpdateExpression=expr,
                    ExpressionAttributeValues={":v": av(1)})
    assert code == "ValidationException"
    assert msg.startswith("Invalid UpdateExpression: ")


# ---------------------------------------------------------------------------------------------
# ProjectionExpression and AttributesToGet


def test_projection_nested_paths_and_list_indexes(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="p", a=1, s="str", l=["x", "y", "z"],
                                            m={"a": {"b": 1, "c": 2}, "d": 3}))
    r = ddb.get_item(TableName=table, Key=item(pk="p"), ProjectionExpression="m.a.b, l[1], s, nope, #l[2]",
                     ExpressionAttributeNames={"#l": "l"})
    assert plain(r["Item"]) == {"m": {"a": {"b": 1}}, "l": ["y", "z"], "s": "str"}


def test_attributes_to_get(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="p", a=1, b=2, c=3))
    r = ddb.get_item(TableName=table, Key=item(pk="p"), AttributesToGet=["a", "c"])
    assert plain(r["Item"]) == {"a": 1, "c": 3}


def test_projection_and_attributes_to_get_together(ddb, table):
    assert err(ddb.get_item, TableName=table, Key=item(pk="p"), AttributesToGet=["a"], ProjectionExpression="a") == (
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")


# ---------------------------------------------------------------------------------------------
# Legacy parameters: Expected, AttributeUpdates, ConditionalOperator


def test_expected_value_and_exists(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="e", n=5))
    ddb.put_item(TableName=table, Item=item(pk="e", n=6), Expected={"n": {"Value": av(5)}, "x": {"Exists": False}})
    assert err(ddb.put_item, TableName=table, Item=item(pk="e", n=7), Expected={"n": {"Value": av(5)}}) == (
        "ConditionalCheckFailedException", CONDITION_FAILED)


def test_expected_comparison_operators(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="e", n=5, s="hello"))
    ddb.delete_item(TableName=table, Key=item(pk="e"), ConditionalOperator="OR", Expected={
        "n": {"ComparisonOperator": "GT", "AttributeValueList": [av(9)]},
        "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [av("he")]}})
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="e"))
    ddb.put_item(TableName=table, Item=item(pk="e", n=5))
    assert err(ddb.delete_item, TableName=table, Key=item(pk="e"), Expected={
        "n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [av(6), av(9)]}})[0] == "ConditionalCheckFailedException"


def test_attribute_updates(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="a", n=1, s={"x", "y"}, gone="bye"))
    r = ddb.update_item(TableName=table, Key=item(pk="a"), ReturnValues="ALL_NEW", AttributeUpdates={
        "n": {"Action": "ADD", "Value": av(2)},
        "s": {"Action": "DELETE", "Value": av({"x"})},
        "gone": {"Action": "DELETE"},
        "new": {"Action": "PUT", "Value": av("v")},
    })
    assert plain(r["Attributes"]) == {"pk": "a", "n": 3, "s": {"y"}, "new": "v"}


def test_expected_with_condition_expression(ddb, table):
    assert err(ddb.put_item, TableName=table, Item=item(pk="a"), Expected={"x": {"Exists": False}},
               ConditionExpression="attribute_not_exists(x)") == (
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")


# ---------------------------------------------------------------------------------------------
# Consumed capacity and item collection metrics


def test_consumed_capacity_absent_by_default(ddb, table):
    assert "ConsumedCapacity" not in ddb.put_item(TableName=table, Item=item(pk="a"))
    assert "ConsumedCapacity" not in ddb.get_item(TableName=table, Key=item(pk="a"), ReturnConsumedCapacity="NONE")


def test_consumed_capacity_write_rounds_up_per_kb(ddb, table):
    r = ddb.put_item(TableName=table, Item=item(pk="a"), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["TableName"] == table and r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    r = ddb.put_item(TableName=table, Item=item(pk="b", v="x" * 1500), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = ddb.delete_item(TableName=table, Key=item(pk="zz"), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_consumed_capacity_read_per_4kb_half_for_eventual(ddb, table):
    ddb.put_item(TableName=table, Item=item(pk="small"))
    ddb.put_item(TableName=table, Item=item(pk="large", v="x" * (5 * KB)))
    cu = lambda key, cr: ddb.get_item(TableName=table, Key=item(pk=key), ConsistentRead=cr,  # noqa: E731
                                      ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"]
    assert cu("small", True) == 1.0 and cu("small", False) == 0.5
    assert cu("large", True) == 2.0 and cu("large", False) == 1.0
    assert cu("absent", True) == 1.0


def test_consumed_capacity_indexes(ddb, make_table):
    t = make_table(gsis=[index("gsi", ("gk", "S"))])
    r = ddb.put_item(TableName=t, Item=item(pk="a", gk="g1"), ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["TableName"] == t and cc["CapacityUnits"] == 2.0
    assert cc["Table"]["CapacityUnits"] == 1.0
    assert cc["GlobalSecondaryIndexes"] == {"gsi": {"CapacityUnits": 1.0}}
    r = ddb.put_item(TableName=t, Item=item(pk="b"), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_item_collection_metrics_with_lsi(ddb, make_table):
    t = make_table(range_key=("sk", "S"), lsis=[index("lsi", ("pk", "S"), ("ls", "S"))])
    r = ddb.put_item(TableName=t, Item=item(pk="a", sk="1", ls="x"), ReturnItemCollectionMetrics="SIZE")
    m = r["ItemCollectionMetrics"]
    assert m["ItemCollectionKey"] == {"pk": {"S": "a"}}
    lo, hi = m["SizeEstimateRangeGB"]
    assert 0 <= lo <= hi
    r = ddb.update_item(TableName=t, Key=item(pk="a", sk="1"), UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": av(1)}, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "a"}}


def test_item_collection_metrics_absent_without_lsi(ddb, table):
    r = ddb.put_item(TableName=table, Item=item(pk="a"), ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r


# ---------------------------------------------------------------------------------------------
# The wire: x-amz-crc32, and the AWS CLI


def test_crc32_header_on_success_and_error(endpoint, ddb, table):
    from ddb_helpers import crc32_of, raw_call
    ddb.put_item(TableName=table, Item=item(pk="crc", v="x" * 100))
    ok = raw_call(endpoint, "GetItem", {"TableName": table, "Key": {"pk": {"S": "crc"}}})
    assert ok.status == 200
    assert ok.json()["Item"]["v"] == {"S": "x" * 100}
    assert int(ok.headers["x-amz-crc32"]) == crc32_of(ok.body)
    bad = raw_call(endpoint, "GetItem", {"TableName": table, "Key": {"pk": {"N": "1"}}})
    assert bad.status == 400
    assert bad.json()["__type"].endswith("ValidationException")
    assert int(bad.headers["x-amz-crc32"]) == crc32_of(bad.body)


def test_cli_put_and_get(aws, table):
    aws("dynamodb", "put-item", "--table-name", table, "--item", '{"pk": {"S": "cli"}, "n": {"N": "1.50"}}')
    out = aws("dynamodb", "get-item", "--table-name", table, "--key", '{"pk": {"S": "cli"}}')
    assert out["Item"] == {"pk": {"S": "cli"}, "n": {"N": "1.5"}}
