package com.example.im.testkit;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * ZooKeeper in containers with the pinned tag {@link Infra#ZOOKEEPER_IMAGE}. Each client port is bound to a fixed
 * free port of 127.0.0.1 (not a random mapping) so that a server stopped and started again keeps its address, as a
 * restarted ZooKeeper host would.
 */
final class ContainerZooKeeper {

    private static final int CLIENT_PORT = 2181;

    private ContainerZooKeeper() {
    }

    /** A single server's alias on the stage nodes' network (unique: its host port is). */
    static String alias(int hostPort) {
        return "zk-" + hostPort;
    }

    static ZooKeeperServerHandle start(int size) {
        if (!Infra.dockerAvailable()) {
            throw new IllegalStateException(Infra.noDockerAdvice("ZooKeeper"));
        }
        // One server joins the network the stage-node containers use (StageCluster), reached there by an alias; an
        // ensemble keeps a network of its own (its servers find each other as zk1, zk2, ...).
        Network network = size > 1 ? Network.newNetwork() : ContainerStageJar.network();
        List<GenericContainer<?>> containers = new ArrayList<>();
        List<Integer> hostPorts = new ArrayList<>();
        StringJoiner servers = new StringJoiner(" ");
        for (int id = 1; id <= size; id++) {
            servers.add("server." + id + "=zk" + id + ":2888:3888;" + CLIENT_PORT);
        }
        for (int id = 1; id <= size; id++) {
            int hostPort = FreePorts.next();
            hostPorts.add(hostPort);
            GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(Infra.ZOOKEEPER_IMAGE))
                    .withExposedPorts(CLIENT_PORT)
                    .withEnv("ZOO_4LW_COMMANDS_WHITELIST", "srvr,ruok")
                    .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(new PortBinding(
                            Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), new ExposedPort(CLIENT_PORT))))
                    .withImagePullPolicy(Infra.pullPolicy())
                    // The server's own log line, not a port probe: the probe runs shell tools a slim image may lack.
                    .waitingFor(Wait.forLogMessage(".*binding to port.*\\n", 1)
                            .withStartupTimeout(Duration.ofSeconds(60)));
            if (size == 1) {
                container.withNetwork(network).withNetworkAliases(alias(hostPort));
            } else {
                container.withNetwork(network).withNetworkAliases("zk" + id)
                        .withEnv("ZOO_MY_ID", Integer.toString(id))
                        .withEnv("ZOO_SERVERS", servers.toString());
            }
            containers.add(container);
        }
        Startables.deepStart(containers).join();

        return new ZooKeeperServerHandle() {
            @Override
            public String connectString() {
                StringJoiner joiner = new StringJoiner(",");
                hostPorts.forEach(p -> joiner.add("127.0.0.1:" + p));
                return joiner.toString();
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public String nodeConnectString() {
                if (size > 1) {
                    throw new UnsupportedOperationException("stage nodes in containers reach one ZooKeeper server, "
                            + "not an ensemble (on a network of its own)");
                }
                return alias(hostPorts.get(0)) + ":" + CLIENT_PORT;
            }

            @Override
            public void stop(int index) {
                LocalZooKeeper.check(index, size);
                GenericContainer<?> c = containers.get(index);
                c.getDockerClient().stopContainerCmd(c.getContainerId()).exec();
            }

            @Override
            public void restart(int index) {
                LocalZooKeeper.check(index, size);
                GenericContainer<?> c = containers.get(index);
                c.getDockerClient().startContainerCmd(c.getContainerId()).exec();
            }

            @Override
            public String description() {
                return "container " + Infra.ZOOKEEPER_IMAGE + " x" + size + " on " + connectString();
            }

            @Override
            public void close() {
                containers.forEach(GenericContainer::stop);
                if (size > 1) {
                    network.close();
                }
            }
        };
    }
}
