"""PartiQL for DynamoDB with real clients, written from the developer guide: ExecuteStatement
(SELECT with key conditions, parameters and NextToken; INSERT; UPDATE; DELETE),
BatchExecuteStatement and ExecuteTransaction.
"""
from ddb_helpers import (CONDITION_FAILED, av, ddb, err, err_response, eventually, index, item,  # noqa: F401
                         make_table, missing_table, plain, put_items, sorted_table, table)


def run(ddb, statement, params=None, **kw):
    if params is not None:
        kw["Parameters"] = [av(p) for p in params]
    return ddb.execute_statement(Statement=statement, **kw)


def test_insert_then_select_by_key(ddb, table):
    run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'n': 1, 's': 'x'}}")
    r = run(ddb, f"SELECT * FROM \"{table}\" WHERE pk = 'a'")
    assert [plain(i) for i in r["Items"]] == [{"pk": "a", "n": 1, "s": "x"}]
    assert plain(ddb.get_item(TableName=table, Key=item(pk="a"))["Item"]) == {"pk": "a", "n": 1, "s": "x"}


def test_insert_duplicate_key(ddb, table):
    run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'dup'}}")
    assert err(ddb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'dup', 'v': 2}}") == (
        "DuplicateItemException", "Duplicate primary key exists in table")
    assert plain(ddb.get_item(TableName=table, Key=item(pk="dup"))["Item"]) == {"pk": "dup"}


def test_parameters(ddb, sorted_table):
    run(ddb, f"INSERT INTO \"{sorted_table}\" VALUE {{'pk': ?, 'sk': ?, 'v': ?}}", ["p", 1, "one"])
    run(ddb, f"INSERT INTO \"{sorted_table}\" VALUE {{'pk': ?, 'sk': ?, 'v': ?}}", ["p", 2, "two"])
    r = run(ddb, f"SELECT v FROM \"{sorted_table}\" WHERE pk = ? AND sk = ?", ["p", 2])
    assert r["Items"] == [{"v": {"S": "two"}}]
    r = run(ddb, f"SELECT sk FROM \"{sorted_table}\" WHERE pk = ? AND sk >= ?", ["p", 1])
    assert [plain(i)["sk"] for i in r["Items"]] == [1, 2]


def test_parameter_count_mismatch(ddb, table):
    code, _ = err(ddb.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE pk = ?",
                  Parameters=[av("a"), av("b")])
    assert code == "ValidationException"


def test_select_where_non_key_filters(ddb, table):
    put_items(ddb, table, [item(pk="a", n=1), item(pk="b", n=5), item(pk="c", n=9)])
    r = run(ddb, f"SELECT pk FROM \"{table}\" WHERE n > 2")
    assert sorted(plain(i)["pk"] for i in r["Items"]) == ["b", "c"]


def test_select_next_token_pagination(ddb, table):
    put_items(ddb, table, [item(pk=f"k{i}") for i in range(7)])
    seen, token = [], None
    for _ in range(10):
        kw = {"NextToken": token} if token else {}
        r = run(ddb, f"SELECT * FROM \"{table}\"", Limit=3, **kw)
        assert len(r["Items"]) <= 3
        seen += [plain(i)["pk"] for i in r["Items"]]
        token = r.get("NextToken")
        if not token:
            break
    assert sorted(seen) == [f"k{i}" for i in range(7)]


def test_select_from_index(ddb, make_table):
    t = make_table(gsis=[index("by_g", ("gk", "S"))])
    put_items(ddb, t, [item(pk="1", gk="g"), item(pk="2", gk="h"), item(pk="3")])

    def check():
        r = run(ddb, f"SELECT pk FROM \"{t}\".\"by_g\" WHERE gk = 'g'")
        assert r["Items"] == [{"pk": {"S": "1"}}]
    eventually(check)


def test_update_set(ddb, table):
    put_items(ddb, table, [item(pk="u", n=1, old="x")])
    run(ddb, f"UPDATE \"{table}\" SET n = n + 4 SET s = 'new' REMOVE old WHERE pk = 'u'")
    assert plain(ddb.get_item(TableName=table, Key=item(pk="u"))["Item"]) == {"pk": "u", "n": 5, "s": "new"}


def test_update_returning_all_new(ddb, table):
    put_items(ddb, table, [item(pk="u", n=1)])
    r = run(ddb, f"UPDATE \"{table}\" SET n = 7 WHERE pk = 'u' RETURNING ALL_NEW *")
    assert [plain(i) for i in r["Items"]] == [{"pk": "u", "n": 7}]


def test_update_missing_item_fails_condition(ddb, table):
    code, msg = err(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'ghost'")
    assert (code, msg) == ("ConditionalCheckFailedException", CONDITION_FAILED)
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="ghost"))


def test_update_with_condition_in_where(ddb, table):
    put_items(ddb, table, [item(pk="u", n=1)])
    code, _ = err(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET n = 2 WHERE pk = 'u' AND n = 5")
    assert code == "ConditionalCheckFailedException"
    run(ddb, f"UPDATE \"{table}\" SET n = 2 WHERE pk = 'u' AND n = 1")
    assert plain(ddb.get_item(TableName=table, Key=item(pk="u"))["Item"])["n"] == 2


def test_delete(ddb, table):
    put_items(ddb, table, [item(pk="d")])
    run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'd'")
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="d"))


def test_syntax_error(ddb, table):
    code, _ = err(ddb.execute_statement, Statement=f"SELEKT * FROM \"{table}\"")
    assert code == "ValidationException"


def test_missing_table(ddb, missing_table):
    code, _ = err(ddb.execute_statement, Statement=f"SELECT * FROM \"{missing_table}\" WHERE pk = 'a'")
    assert code == "ResourceNotFoundException"


def test_insert_missing_key_rejected(ddb, table):
    code, _ = err(ddb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'other': 1}}")
    assert code == "ValidationException"


# ---------------------------------------------------------------------------------------------
# BatchExecuteStatement


def test_batch_execute_writes_and_reads(ddb, table):
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'n': ?}}", "Parameters": [av("a"), av(1)]},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'n': ?}}", "Parameters": [av("b"), av(2)]},
    ])
    assert len(r["Responses"]) == 2 and all("Error" not in x for x in r["Responses"])
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = ?", "Parameters": [av("b")]},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = ?", "Parameters": [av("missing")]},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = ?", "Parameters": [av("a")]},
    ])
    resp = r["Responses"]
    assert plain(resp[0]["Item"]) == {"pk": "b", "n": 2}
    assert "Item" not in resp[1]
    assert plain(resp[2]["Item"]) == {"pk": "a", "n": 1}
    assert resp[0]["TableName"] == table


def test_batch_execute_reports_errors_per_statement(ddb, table):
    put_items(ddb, table, [item(pk="exists")])
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'fresh'}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'exists'}}"},
    ])
    resp = r["Responses"]
    assert "Error" not in resp[0]
    assert resp[1]["Error"]["Code"] == "DuplicateItem"
    assert "Item" in ddb.get_item(TableName=table, Key=item(pk="fresh"))


def test_batch_execute_update_and_delete(ddb, table):
    put_items(ddb, table, [item(pk="u", n=1), item(pk="d")])
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"UPDATE \"{table}\" SET n = 10 WHERE pk = 'u'"},
        {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'd'"},
    ])
    assert all("Error" not in x for x in r["Responses"])
    assert plain(ddb.get_item(TableName=table, Key=item(pk="u"))["Item"])["n"] == 10
    assert "Item" not in ddb.get_item(TableName=table, Key=item(pk="d"))


# ---------------------------------------------------------------------------------------------
# ExecuteTransaction


def test_execute_transaction_commits_all(ddb, table):
    put_items(ddb, table, [item(pk="u", n=1)])
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'new'}}"},
        {"Statement": f"UPDATE \"{table}\" SET n = 2 WHERE pk = 'u'"},
    ])
    assert "Item" in ddb.get_item(TableName=table, Key=item(pk="new"))
    assert plain(ddb.get_item(TableName=table, Key=item(pk="u"))["Item"])["n"] == 2


def test_execute_transaction_cancels_all(ddb, table):
    put_items(ddb, table, [item(pk="u", n=1), item(pk="exists")])
    resp = err_response(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"UPDATE \"{table}\" SET n = 2 WHERE pk = 'u'"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'exists'}}"},
    ])
    assert resp["Error"]["Code"] == "TransactionCanceledException"
    reasons = resp["CancellationReasons"]
    assert len(reasons) == 2 and reasons[0]["Code"] == "None"
    assert reasons[1]["Code"] in ("DuplicateItem", "ConditionalCheckFailed")
    assert plain(ddb.get_item(TableName=table, Key=item(pk="u"))["Item"])["n"] == 1


def test_execute_transaction_reads(ddb, table):
    put_items(ddb, table, [item(pk="a", v=1), item(pk="b", v=2)])
    r = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = ?", "Parameters": [av("b")]},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = ?", "Parameters": [av("a")]},
    ])
    assert [plain(x["Item"]) for x in r["Responses"]] == [{"pk": "b", "v": 2}, {"pk": "a", "v": 1}]
