package com.example.im.testkit;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** Redis in a container with the pinned tag {@link Infra#REDIS_IMAGE}. */
final class ContainerRedis {

    private ContainerRedis() {
    }

    static RedisServerHandle start() {
        if (!Infra.dockerAvailable()) {
            throw new IllegalStateException(Infra.noDockerAdvice("Redis"));
        }
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(Infra.REDIS_IMAGE))
                .withCommand("redis-server", "--save", "", "--appendonly", "no")
                .withExposedPorts(6379)
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
        container.start();
        String host = container.getHost();
        int port = container.getMappedPort(6379);
        return new RedisServerHandle(host, port, "container " + Infra.REDIS_IMAGE + " on " + host + ":" + port,
                container::stop);
    }
}
