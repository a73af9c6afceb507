"""moto_server with DynamoDB's write isolation.

moto's server is threaded and its DynamoDB backend checks a conditional write or a transaction's
conditions and then applies it without a lock, so two concurrent requests can both pass a
condition that DynamoDB would let only one pass (e.g. two `attribute_not_exists` puts of the same
key inside two `TransactWriteItems`). DynamoDB serialises writes to an item and runs
transactions atomically; this wrapper gives moto the same guarantee by running every DynamoDB
write under one lock, then starts moto_server with the same arguments.
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_WRITES = threading.RLock()

for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
    original = getattr(DynamoDBBackend, name, None)
    if original is None:
        continue

    def serialised(*args, __original=original, **kwargs):
        with _WRITES:
            return __original(*args, **kwargs)

    setattr(DynamoDBBackend, name, functools.wraps(original)(serialised))

if __name__ == "__main__":
    main(sys.argv[1:])
