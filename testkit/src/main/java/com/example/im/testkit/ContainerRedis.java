package com.example.im.testkit;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** Redis in a container with the pinned tag {@link Infra#REDIS_IMAGE}. */
final class ContainerRedis {

    private ContainerRedis() {
    }

    /** The server's alias on the stage nodes' network (unique: its host port is; a restart keeps it). */
    static String alias(int hostPort) {
        return "redis-" + hostPort;
    }

    static RedisServerHandle start() {
        return startOn(FreePorts.next());
    }

    /**
     * A Redis container published on 127.0.0.1:{@code hostPort} (a fixed binding rather than a random mapping, so a
     * restarted server keeps its address as a restarted Redis host would).
     */
    static RedisServerHandle startOn(int hostPort) {
        if (!Infra.dockerAvailable()) {
            throw new IllegalStateException(Infra.noDockerAdvice("Redis"));
        }
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(Infra.REDIS_IMAGE))
                .withCommand("redis-server", "--save", "", "--appendonly", "no", "--protected-mode", "no")
                .withImagePullPolicy(Infra.pullPolicy())
                .withExposedPorts(6379)
                .withNetwork(ContainerStageJar.network())
                .withNetworkAliases(alias(hostPort))
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(new PortBinding(
                        Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), new ExposedPort(6379))))
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
        container.start();
        String host = "127.0.0.1";
        int port = hostPort;
        return new RedisServerHandle(host, port, "container " + Infra.REDIS_IMAGE + " on " + host + ":" + port,
                container::stop);
    }
}
