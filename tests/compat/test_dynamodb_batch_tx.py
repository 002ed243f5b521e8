"""DynamoDB batches and transactions with real clients, written from the API reference:
BatchGetItem, BatchWriteItem, TransactWriteItems (Put/Update/Delete/ConditionCheck,
cancellation reasons, idempotency tokens) and TransactGetItems.
"""
import uuid

import pytest

from ddb_helpers import (CONDITION_FAILED, NOT_FOUND, av, ddb, err, err_response, item,  # noqa: F401
                         make_table, missing_table, plain, put_items, sorted_table, table)

# ---------------------------------------------------------------------------------------------
# BatchWriteItem / BatchGetItem


def test_batch_write_then_batch_get(ddb, table):
    r = ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item(pk=f"k{i}", n=i)}} for i in range(25)]})
    assert r["UnprocessedItems"] == {}
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [item(pk=f"k{i}") for i in range(25)]}})
    assert r["UnprocessedKeys"] == {}
    got = sorted((plain(i)["pk"], plain(i)["n"]) for i in r["Responses"][table])
    assert got == sorted((f"k{i}", i) for i in range(25))


def test_batch_write_mixed_put_and_delete(ddb, table):
    put_items(ddb, table, [item(pk="old1"), item(pk="old2")])
    ddb.batch_write_item(RequestItems={table: [
        {"DeleteRequest": {"Key": item(pk="old1")}},
        {"PutRequest": {"Item": item(pk="new", v="x")}},
        {"DeleteRequest": {"Key": item(pk="never-existed")}},
    ]})
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="old1"))
    assert "Item" in ddb.get_item(TableName=table, Key=item(pk="old2"))
    assert plain(ddb.get_item(TableName=table, Key=item(pk="new"))["Item"]) == {"pk": "new", "v": "x"}


def test_batch_write_two_tables(ddb, table, sorted_table):
    ddb.batch_write_item(RequestItems={
        table: [{"PutRequest": {"Item": item(pk="a")}}],
        sorted_table: [{"PutRequest": {"Item": item(pk="a", sk=1)}}],
    })
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [item(pk="a")]}, sorted_table: {"Keys": [item(pk="a", sk=1)]}})
    assert len(r["Responses"][table]) == 1 and len(r["Responses"][sorted_table]) == 1


def test_batch_write_26_requests_rejected(ddb, table):
    code, msg = err(ddb.batch_write_item,
                    RequestItems={table: [{"PutRequest": {"Item": item(pk=f"k{i}")}} for i in range(26)]})
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 25" in msg


def test_batch_write_duplicate_keys_rejected(ddb, table):
    assert err(ddb.batch_write_item, RequestItems={table: [
        {"PutRequest": {"Item": item(pk="same", v=1)}},
        {"PutRequest": {"Item": item(pk="same", v=2)}},
    ]}) == ("ValidationException", "Provided list of item keys contains duplicates")
    assert err(ddb.batch_write_item, RequestItems={table: [
        {"PutRequest": {"Item": item(pk="same")}},
        {"DeleteRequest": {"Key": item(pk="same")}},
    ]}) == ("ValidationException", "Provided list of item keys contains duplicates")
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="same"))


def test_batch_write_invalid_item_writes_nothing(ddb, table):
    code, _ = err(ddb.batch_write_item, RequestItems={table: [
        {"PutRequest": {"Item": item(pk="good")}},
        {"PutRequest": {"Item": {"pk": {"N": "1"}}}},
    ]})
    assert code == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="good"))


def test_batch_write_missing_table(ddb, missing_table):
    code, msg = err(ddb.batch_write_item, RequestItems={missing_table: [{"PutRequest": {"Item": item(pk="a")}}]})
    assert code == "ResourceNotFoundException" and msg.startswith(NOT_FOUND)


def test_batch_get_missing_items_are_left_out(ddb, table):
    put_items(ddb, table, [item(pk="here")])
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [item(pk="here"), item(pk="absent")]}})
    assert [plain(i) for i in r["Responses"][table]] == [{"pk": "here"}]
    assert r["UnprocessedKeys"] == {}


def test_batch_get_projection_and_consistent_read(ddb, table):
    put_items(ddb, table, [item(pk="a", x=1, y={"z": 2, "w": 3}), item(pk="b", x=2)])
    r = ddb.batch_get_item(RequestItems={table: {
        "Keys": [item(pk="a"), item(pk="b")], "ProjectionExpression": "#x, y.z", "ConsistentRead": True,
        "ExpressionAttributeNames": {"#x": "x"}}})
    assert sorted((plain(i) for i in r["Responses"][table]), key=lambda i: i["x"]) == [
        {"x": 1, "y": {"z": 2}}, {"x": 2}]


def test_batch_get_attributes_to_get_legacy(ddb, table):
    put_items(ddb, table, [item(pk="a", x=1, y=2)])
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [item(pk="a")], "AttributesToGet": ["pk", "y"]}})
    assert [plain(i) for i in r["Responses"][table]] == [{"pk": "a", "y": 2}]


def test_batch_get_101_keys_over_two_tables_rejected(ddb, table, sorted_table):
    assert err(ddb.batch_get_item, RequestItems={
        table: {"Keys": [item(pk=f"k{i}") for i in range(100)]},
        sorted_table: {"Keys": [item(pk="k", sk=1)]},
    }) == ("ValidationException", "Too many items requested for the BatchGetItem call")


def test_batch_get_101_keys_in_one_table_rejected(ddb, table):
    code, msg = err(ddb.batch_get_item, RequestItems={table: {"Keys": [item(pk=f"k{i}") for i in range(101)]}})
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 100" in msg


def test_batch_get_100_keys_accepted(ddb, table):
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [item(pk=f"k{i}") for i in range(100)]}})
    assert r["Responses"][table] == [] and r["UnprocessedKeys"] == {}


def test_batch_get_duplicate_keys_rejected(ddb, table):
    assert err(ddb.batch_get_item, RequestItems={table: {"Keys": [item(pk="a"), item(pk="a")]}}) == (
        "ValidationException", "Provided list of item keys contains duplicates")


def test_batch_get_wrong_key(ddb, table):
    assert err(ddb.batch_get_item, RequestItems={table: {"Keys": [{"pk": {"N": "1"}}]}}) == (
        "ValidationException", "The provided key element does not match the schema")


def test_batch_get_missing_table(ddb, missing_table):
    code, msg = err(ddb.batch_get_item, RequestItems={missing_table: {"Keys": [item(pk="a")]}})
    assert code == "ResourceNotFoundException" and msg.startswith(NOT_FOUND)


def test_batch_consumed_capacity(ddb, table):
    r = ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item(pk=f"k{i}")}} for i in range(3)]},
                             ReturnConsumedCapacity="TOTAL")
    assert len(r["ConsumedCapacity"]) == 1
    assert r["ConsumedCapacity"][0]["TableName"] == table and r["ConsumedCapacity"][0]["CapacityUnits"] == 3.0
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [item(pk=f"k{i}") for i in range(3)], "ConsistentRead": True}},
                           ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"][0]["TableName"] == table
    assert r["ConsumedCapacity"][0]["CapacityUnits"] == 3.0


# ---------------------------------------------------------------------------------------------
# TransactWriteItems


def test_transact_write_all_action_kinds(ddb, table):
    put_items(ddb, table, [item(pk="upd", n=1), item(pk="del"), item(pk="chk", ok=True)])
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="put", v="new"), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": item(pk="upd"), "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": av(1)}}},
        {"Delete": {"TableName": table, "Key": item(pk="del")}},
        {"ConditionCheck": {"TableName": table, "Key": item(pk="chk"), "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": av(True)}}},
    ])
    assert plain(ddb.get_item(TableName=table, Key=item(pk="put"))["Item"]) == {"pk": "put", "v": "new"}
    assert plain(ddb.get_item(TableName=table, Key=item(pk="upd"))["Item"])["n"] == 2
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="del"))


def test_transact_failed_condition_cancels_everything(ddb, table):
    put_items(ddb, table, [item(pk="a", n=1), item(pk="b", n=1)])
    resp = err_response(ddb.transact_write_items, TransactItems=[
        {"Update": {"TableName": table, "Key": item(pk="a"), "UpdateExpression": "SET n = :two",
                    "ExpressionAttributeValues": {":two": av(2)}}},
        {"ConditionCheck": {"TableName": table, "Key": item(pk="b"), "ConditionExpression": "n = :five",
                            "ExpressionAttributeValues": {":five": av(5)}}},
        {"Put": {"TableName": table, "Item": item(pk="c")}},
    ])
    assert resp["Error"]["Code"] == "TransactionCanceledException"
    assert resp["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific "
                                        "reasons [None, ConditionalCheckFailed, None]")
    reasons = resp["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert reasons[1]["Message"] == CONDITION_FAILED
    assert "Item" not in reasons[1]
    assert plain(ddb.get_item(TableName=table, Key=item(pk="a"))["Item"])["n"] == 1
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="c"))


def test_transact_return_values_on_condition_check_failure(ddb, table):
    put_items(ddb, table, [item(pk="a", n=1, other="x")])
    resp = err_response(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="b")}},
        {"Delete": {"TableName": table, "Key": item(pk="a"), "ConditionExpression": "n > :one",
                    "ExpressionAttributeValues": {":one": av(1)}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ])
    reasons = resp["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert plain(reasons[1]["Item"]) == {"pk": "a", "n": 1, "other": "x"}


def test_transact_two_actions_on_one_item(ddb, table):
    assert err(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="same", v=1)}},
        {"Update": {"TableName": table, "Key": item(pk="same"), "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": av(2)}}},
    ]) == ("ValidationException", "Transaction request cannot include multiple operations on one item")
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="same"))


def test_transact_idempotent_token(ddb, table):
    token = uuid.uuid4().hex
    request = {"TransactItems": [{"Update": {"TableName": table, "Key": item(pk="ctr"),
                                             "UpdateExpression": "ADD n :one",
                                             "ExpressionAttributeValues": {":one": av(1)}}}],
               "ClientRequestToken": token}
    ddb.transact_write_items(**request)
    ddb.transact_write_items(**request)
    assert plain(ddb.get_item(TableName=table, Key=item(pk="ctr"))["Item"])["n"] == 1
    changed = {"TransactItems": [{"Update": {"TableName": table, "Key": item(pk="ctr"),
                                             "UpdateExpression": "ADD n :two",
                                             "ExpressionAttributeValues": {":two": av(2)}}}],
               "ClientRequestToken": token}
    code, _ = err(ddb.transact_write_items, **changed)
    assert code == "IdempotentParameterMismatchException"
    assert plain(ddb.get_item(TableName=table, Key=item(pk="ctr"))["Item"])["n"] == 1


def test_transact_write_over_100_actions_rejected(ddb, table):
    code, _ = err(ddb.transact_write_items,
                  TransactItems=[{"Put": {"TableName": table, "Item": item(pk=f"k{i}")}} for i in range(101)])
    assert code == "ValidationException"


def test_transact_write_100_actions_accepted(ddb, table):
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": item(pk=f"k{i}")}} for i in range(100)])
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 100


def test_transact_write_across_tables(ddb, table, sorted_table):
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="a")}},
        {"Put": {"TableName": sorted_table, "Item": item(pk="a", sk=1)}},
    ])
    assert "Item" in ddb.get_item(TableName=sorted_table, Key=item(pk="a", sk=1))


def test_transact_write_missing_table(ddb, table, missing_table):
    code, _ = err(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="a")}},
        {"Put": {"TableName": missing_table, "Item": item(pk="a")}},
    ])
    assert code == "ResourceNotFoundException"
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="a"))


def test_transact_write_invalid_member_is_validation_error(ddb, table):
    code, _ = err(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="a")}},
        {"Put": {"TableName": table, "Item": {"pk": {"N": "1"}}}},
    ])
    assert code == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="a"))


# ---------------------------------------------------------------------------------------------
# TransactGetItems


def test_transact_get_in_order_with_missing(ddb, table, sorted_table):
    put_items(ddb, table, [item(pk="a", v=1, w=2)])
    put_items(ddb, sorted_table, [item(pk="s", sk=7, v="x")])
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": sorted_table, "Key": item(pk="s", sk=7)}},
        {"Get": {"TableName": table, "Key": item(pk="absent")}},
        {"Get": {"TableName": table, "Key": item(pk="a"), "ProjectionExpression": "w"}},
    ])
    resp = r["Responses"]
    assert len(resp) == 3
    assert plain(resp[0]["Item"]) == {"pk": "s", "sk": 7, "v": "x"}
    assert "Item" not in resp[1]
    assert plain(resp[2]["Item"]) == {"w": 2}


def test_transact_get_wrong_key(ddb, table):
    code, _ = err(ddb.transact_get_items, TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"N": "1"}}}}])
    assert code == "ValidationException"


def test_transact_get_missing_table(ddb, missing_table):
    code, _ = err(ddb.transact_get_items, TransactItems=[{"Get": {"TableName": missing_table, "Key": item(pk="a")}}])
    assert code == "ResourceNotFoundException"


def test_transact_consumed_capacity_is_doubled(ddb, table):
    r = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": item(pk="a")}}],
                                 ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"][0]["TableName"] == table
    assert r["ConsumedCapacity"][0]["CapacityUnits"] == 2.0
    r = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": item(pk="a")}}],
                               ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"][0]["CapacityUnits"] == 2.0


@pytest.mark.parametrize("action", ["Put", "Update", "Delete", "ConditionCheck"])
def test_transact_each_action_kind_can_fail(ddb, table, action):
    put_items(ddb, table, [item(pk="x", n=1)])
    cond = {"ConditionExpression": "n = :two", "ExpressionAttributeValues": {":two": av(2)}}
    spec = {"TableName": table, **cond}
    if action == "Put":
        spec["Item"] = item(pk="x", n=9)
    else:
        spec["Key"] = item(pk="x")
    if action == "Update":
        spec["UpdateExpression"] = "SET n = :two"
    resp = err_response(ddb.transact_write_items, TransactItems=[{action: spec}])
    assert resp["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in resp["CancellationReasons"]] == ["ConditionalCheckFailed"]
    assert plain(ddb.get_item(TableName=table, Key=item(pk="x"))["Item"]) == {"pk": "x", "n": 1}
