package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.testkit.RedisClusterExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;

/**
 * Review: {@code InboxConsumer.forget} takes a node out of {@code im:inboxes} first and then looks at its inbox,
 * which lives on another server of the cluster. When that server does not answer (its master is gone and no replica
 * takes over), the node must stay listed: not knowing whether the inbox exists, forgetting it would hide it from every
 * later sweep for good.
 */
class ForgetInboxReviewTest {

    /** No replicas: a killed master's slots stay down, so the inbox's server does not answer. */
    @RegisterExtension
    final RedisClusterExtension redis = new RedisClusterExtension(3, 0, 2000);

    @Test
    void aNodeStaysListedWhenItsInboxsServerDoesNotAnswer() {
        int setServer = redis.cluster().masterOf(RedisKeys.INBOXES);
        String owner = null;
        for (int i = 0; owner == null; i++) {
            if (redis.cluster().masterOf(RedisKeys.inbox("node-" + i)) != setServer) {
                owner = "node-" + i;
            }
        }
        String node = owner;
        try (UnifiedJedis client = RedisClients.open(redis.uri(), DefaultJedisClientConfig.builder()
                .socketTimeoutMillis(500).connectionTimeoutMillis(500).build(), new ConnectionPoolConfig()).redis()) {
            client.sadd(RedisKeys.INBOXES, node);
            client.xgroupCreate(RedisKeys.inbox(node), RedisKeys.GROUP, null, true);

            redis.cluster().kill(redis.cluster().masterOf(RedisKeys.inbox(node)));
            assertThatThrownBy(() -> InboxConsumer.forget(client, node))
                    .as("the inbox's server is down: forget cannot know").isInstanceOf(RuntimeException.class);
        }
        try (Jedis direct = new Jedis("127.0.0.1", setServer)) {
            assertThat(direct.sismember(RedisKeys.INBOXES, node)).as(node + " still listed in im:inboxes").isTrue();
        }
    }
}
