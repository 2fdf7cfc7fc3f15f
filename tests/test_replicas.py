"""The replicas' fence (newsite/replicas.py) on this session's PostgreSQL and Redis.

The router itself, with a real replica that lags, is tested through the whole cluster
(tests/test_cluster.py); here are the fence's own promises, one by one.
"""

import pytest
from django.core.cache import cache

from newsite import replicas
from newsite.cache.backend import CacheUnavailable
from tests import services
from tests.factories import SectionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_the_fence_is_raised_past_the_last_commit(transactional_db):
    SectionFactory()  # a commit
    committed = replicas.primary_position()

    replicas.raise_fence()

    assert cache.get(replicas.FENCE_KEY) >= committed


def test_the_fence_never_moves_back(db):
    """Two edits may finish in either order: the later position stays."""
    ahead = replicas.primary_position() + 10**9
    cache.set(replicas.FENCE_KEY, ahead, timeout=None)

    replicas.raise_fence()

    assert cache.get(replicas.FENCE_KEY) == ahead


def test_a_lost_fence_is_asked_of_the_primary(db):
    before = replicas.primary_position()
    cache.delete(replicas.FENCE_KEY)

    fence = replicas.fence()

    assert fence >= before
    assert cache.get(replicas.FENCE_KEY) == fence


@pytest.fixture
def redis_server():
    yield services.controlled_redis()
    services.start_redis()


def test_with_the_cache_down_reads_go_to_the_primary_and_no_bump_happens(db, redis_server):
    """No fence can be read, so none is trusted; none can be raised, so the bump is put off
    (tags.bump keeps its tags for when the cache returns): a generation never moves without
    its fence."""
    services.stop_redis()

    assert replicas.fence() is None
    with pytest.raises(CacheUnavailable):
        replicas.raise_fence()
