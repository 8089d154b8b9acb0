from sqlalchemy import event
def test_count(app, api, world):
    from app.extensions import db
    for i in range(3):
        api.issue("A") if hasattr(api, "issue") else None
    stmts = []
    with app.app_context():
        eng = db.engine
    def before(conn, cursor, statement, parameters, context, executemany):
        stmts.append(statement.replace("\n", " ")[:200])
    event.listen(eng, "before_cursor_execute", before)
    r = api.issue("A")
    event.remove(eng, "before_cursor_execute", before)
    for s in stmts: print("SQL:", s)
    print(len(stmts))
