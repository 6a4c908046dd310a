"""PostgreSQL connections whose every wait is bounded, even when the server is silent.

A hung server (stopped, or its host frozen) still has a kernel that answers TCP: keepalives
are acknowledged and data is accepted, so neither TCP_USER_TIMEOUT nor keepalives notice, and
the statement timeout is the server's own. Only the client can tell that no answer is coming:
every wait for the server here gives up after `read_timeout` seconds, closes the connection
(it is in an unknown state) and raises `DatabaseSilent`. Checking a connection out of the pool
pings it first with a shorter limit; a silent server fails that request at once (503) instead
of reconnecting to the same silence, while a connection that merely broke (the server
restarted) is replaced, so the service recovers by itself.
"""

import psycopg
from psycopg import errors
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


class DatabaseSilent(psycopg.OperationalError):
    """The database did not answer within the time limit."""


class BoundedConnection(psycopg.Connection):
    read_timeout: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        limit = timeout if timeout is not None else self.read_timeout
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except errors._WaitTimeout:  # psycopg's own, raised only when `limit` runs out
            self.close()  # mid-conversation: never to be used again
            raise DatabaseSilent(f"The database did not answer within {limit:g} s") from None


def bound(engine: Engine, *, read_timeout: float, ping_timeout: float) -> Engine:
    """Make `engine` (PostgreSQL, psycopg) open BoundedConnections and ping on checkout."""

    @event.listens_for(engine, "do_connect")
    def connect(_dialect, _record, cargs, cparams):
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.read_timeout = read_timeout
        return connection

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection, _record, _proxy):
        dbapi_connection.read_timeout = ping_timeout
        try:
            engine.dialect.do_ping(dbapi_connection)  # SQLAlchemy's own ping, outside a transaction
        except DatabaseSilent:
            raise  # the pool discards this connection; the request fails now (503)
        except psycopg.Error as error:
            raise DisconnectionError(str(error)) from error  # the pool reconnects once
        finally:
            dbapi_connection.read_timeout = read_timeout

    return engine
