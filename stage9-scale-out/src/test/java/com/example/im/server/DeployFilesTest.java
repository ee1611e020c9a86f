package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.config.Flags;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files under {@code deploy/} (docs/09-scale-out.md, "Deployment"), checked on every build without a
 * cluster or a container engine:
 * <ul>
 *   <li>every Kubernetes document in {@code deploy/k8s} is read into fabric8's typed model (the one the Java
 *       Kubernetes client uses); a field the API does not have, or a value of the wrong type, fails — the model
 *       keeps unknown fields aside in "additional properties", and this test fails if any object holds one;</li>
 *   <li>the references between them hold (Service selectors and target ports, the StatefulSets' headless Services,
 *       the disruption budgets, the Secret);</li>
 *   <li>the chat node's arguments, in Kubernetes and in compose, are flags ChatServer accepts and form a valid
 *       configuration ({@link ServerConfig#fromFlags}), and the grace periods are longer than the drain bound;</li>
 *   <li>the compose file's references, ports, and the Dockerfile's signal handling.</li>
 * </ul>
 */
class DeployFilesTest {

    private static final Path DEPLOY = Path.of("deploy");
    private static final Path K8S = DEPLOY.resolve("k8s");
    /** A syntactically valid key for parsing the nodes' arguments (the files carry none). */
    private static final String TEST_KEY = Base64.getEncoder().encodeToString(new byte[32]);

    /** The kinds the manifests may use, each read into its typed class. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Service", Service.class,
            "v1/Secret", Secret.class,
            "apps/v1/StatefulSet", StatefulSet.class,
            "batch/v1/Job", Job.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    /** Strict: no "8000" for an int, no 1 for a string, no single value for a list. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .build();

    private static final List<HasMetadata> objects = new ArrayList<>();

    @BeforeAll
    static void readManifests() throws IOException {
        assertThat(K8S).isDirectory();
        List<Path> files;
        try (Stream<Path> listing = Files.list(K8S)) {
            files = listing.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString())
                .contains("zookeeper.yaml", "redis-cluster.yaml", "im-node.yaml", "im-auth-secret.yaml");
        for (Path file : files) {
            try (Reader reader = Files.newBufferedReader(file)) {
                for (Object document : new Yaml(new LoaderOptions()).loadAll(reader)) {
                    if (document == null) {
                        continue;
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> map = (Map<String, Object>) document;
                    HasMetadata object = typed(file.toString(), map);
                    objects.add(object);
                }
            }
        }
    }

    /** The document as its typed Kubernetes object; AssertionError for an unknown kind, field or a wrong type. */
    static HasMetadata typed(String file, Map<String, Object> map) {
        String kind = map.get("apiVersion") + "/" + map.get("kind");
        Class<? extends HasMetadata> type = KINDS.get(kind);
        assertThat(type).as("%s: a kind this test knows (add it to KINDS)", file + " " + kind).isNotNull();
        HasMetadata object;
        try {
            object = STRICT.convertValue(map, type);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(file + ": " + kind + " does not fit the Kubernetes model: " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        unknownFields(object, kind + " " + object.getMetadata().getName(), unknown, new IdentityHashMap<>());
        assertThat(unknown).as("%s: fields the Kubernetes API does not have", file).isEmpty();
        assertThat(object.getMetadata().getNamespace())
                .as("%s: no namespace in the files (kubectl -n chooses it)", file).isNull();
        return object;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(String text) {
        return (Map<String, Object>) new Yaml(new LoaderOptions()).load(text);
    }

    /** The check itself: it must reject what a real API server would (else a green run proves nothing). */
    @Test
    void theModelCheckRejectsAMisspelledFieldAWrongTypeAndAnUnknownKind() {
        String good = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: s}
                spec:
                  serviceName: s
                  replicas: 1
                  selector: {matchLabels: {app: s}}
                  template:
                    metadata: {labels: {app: s}}
                    spec:
                      terminationGracePeriodSeconds: 30
                      containers: [{name: c, image: i, ports: [{name: p, containerPort: 7000}]}]
                """;
        typed("good", yaml(good));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typed("typo", yaml(good.replace("replicas:", "replica:"))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("replica");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typed("nested typo",
                        yaml(good.replace("containerPort:", "containerport:"))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("containerport");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typed("string for int",
                        yaml(good.replace("containerPort: 7000", "containerPort: \"7000\""))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("does not fit");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typed("string for int",
                        yaml(good.replace("terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 30s"))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("does not fit");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typed("list for map",
                        yaml(good.replace("metadata: {labels: {app: s}}", "metadata: {labels: [app]}"))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("does not fit");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typed("kind",
                        yaml(good.replace("apps/v1", "apps/v1beta1"))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("apps/v1beta1/StatefulSet");
    }

    /** Walks the typed object: any non-empty getAdditionalProperties() is a field the model does not know. */
    private static void unknownFields(Object value, String path, List<String> found, Map<Object, Object> seen) {
        if (value == null || seen.put(value, value) != null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object element : list) {
                unknownFields(element, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, found, seen));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(child, path + "." + getter.getName(), found, seen);
            }
        }
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T extends HasMetadata> T named(Class<T> type, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    private static List<PodTemplateSpec> podTemplates() {
        List<PodTemplateSpec> templates = new ArrayList<>();
        all(StatefulSet.class).forEach(s -> templates.add(s.getSpec().getTemplate()));
        all(Job.class).forEach(j -> templates.add(j.getSpec().getTemplate()));
        return templates;
    }

    private static boolean matches(Map<String, String> selector, PodTemplateSpec template) {
        return template.getMetadata() != null && matches(selector, template.getMetadata().getLabels());
    }

    private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    @Test
    void theManifestsHoldTheExpectedObjects() {
        assertThat(named(StatefulSet.class, "zk").getSpec().getReplicas()).isEqualTo(3);
        assertThat(named(StatefulSet.class, "redis").getSpec().getReplicas()).isEqualTo(6);
        assertThat(named(StatefulSet.class, "im-node").getSpec().getReplicas()).isEqualTo(3);
        named(Job.class, "redis-cluster-init");
        assertThat(named(PodDisruptionBudget.class, "im-node").getSpec().getMaxUnavailable())
                .isEqualTo(new IntOrString(1));
    }

    @Test
    void everyStatefulSetHasAHeadlessServiceThatSelectsItsPods() {
        for (StatefulSet set : all(StatefulSet.class)) {
            Service headless = named(Service.class, set.getSpec().getServiceName());
            assertThat(headless.getSpec().getClusterIP()).as(headless.getMetadata().getName()).isEqualTo("None");
            assertThat(matches(headless.getSpec().getSelector(), set.getSpec().getTemplate().getMetadata().getLabels()))
                    .as("%s selects the pods of %s", headless.getMetadata().getName(), set.getMetadata().getName())
                    .isTrue();
            assertThat(matches(set.getSpec().getSelector().getMatchLabels(),
                    set.getSpec().getTemplate().getMetadata().getLabels())).as(set.getMetadata().getName()).isTrue();
        }
    }

    @Test
    void everyServiceSelectsPodsAndTheirNamedPorts() {
        for (Service service : all(Service.class)) {
            List<PodTemplateSpec> selected = podTemplates().stream()
                    .filter(t -> matches(service.getSpec().getSelector(), t)).toList();
            assertThat(selected).as("pods of Service %s", service.getMetadata().getName()).isNotEmpty();
            for (ServicePort port : service.getSpec().getPorts()) {
                IntOrString target = port.getTargetPort();
                Set<Object> exposed = new java.util.HashSet<>();
                for (PodTemplateSpec template : selected) {
                    for (Container c : template.getSpec().getContainers()) {
                        for (ContainerPort p : c.getPorts()) {
                            exposed.add(p.getName());
                            exposed.add(p.getContainerPort());
                        }
                    }
                }
                Object wanted = target == null ? port.getPort()
                        : target.getStrVal() != null ? target.getStrVal() : target.getIntVal();
                assertThat(exposed).as("Service %s port %s", service.getMetadata().getName(), port.getName())
                        .contains(wanted);
            }
        }
    }

    @Test
    void everyDisruptionBudgetSelectsAStatefulSet() {
        for (PodDisruptionBudget budget : all(PodDisruptionBudget.class)) {
            assertThat(all(StatefulSet.class)).as(budget.getMetadata().getName())
                    .anyMatch(s -> matches(budget.getSpec().getSelector().getMatchLabels(),
                            s.getSpec().getTemplate().getMetadata().getLabels()));
            assertThat(budget.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        }
    }

    @Test
    void theSecretTheNodesReadExistsAndHoldsOnlyAPlaceholderThatANodeRefuses() {
        Container node = imContainer();
        EnvVar key = node.getEnv().stream().filter(e -> e.getName().equals("IM_AUTH_KEY")).findFirst().orElseThrow();
        String secretName = key.getValueFrom().getSecretKeyRef().getName();
        Secret secret = named(Secret.class, secretName);
        String placeholder = secret.getStringData().get(key.getValueFrom().getSecretKeyRef().getKey());
        assertThat(placeholder).isNotNull();
        // A committed key that works would be a real key in git: the placeholder must make a node stop at once.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServerConfig.fromFlags(
                        Flags.parse(new String[] {"--auth-key", placeholder}, ServerConfig.flagNames(),
                                ServerConfig.switchNames())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("auth-key");
    }

    private static Container imContainer() {
        return named(StatefulSet.class, "im-node").getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theNodesArgumentsInKubernetesAreAValidConfigurationThatDrainsWithinTheGracePeriod() {
        StatefulSet set = named(StatefulSet.class, "im-node");
        Container node = imContainer();
        // $(VAR) in args is expanded by Kubernetes from the container's env; every one must be defined there.
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : node.getEnv()) {
            env.put(var.getName(), var.getName().equals("POD_NAMESPACE") ? "chat" : "im-node-1");
        }
        List<String> args = new ArrayList<>();
        for (String arg : node.getArgs()) {
            Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(arg);
            StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                assertThat(env).as("$(%s) in the args", m.group(1)).containsKey(m.group(1));
                m.appendReplacement(expanded, Matcher.quoteReplacement(env.get(m.group(1))));
            }
            m.appendTail(expanded);
            args.add(expanded.toString());
        }
        ServerConfig config = parse(args);
        assertThat(config.nodeId()).isEqualTo("im-node-1");
        assertThat(config.zkConnect()).isEqualTo("zk-0.zk-hs:2181,zk-1.zk-hs:2181,zk-2.zk-hs:2181");
        assertThat(config.advertisedHost()).isEqualTo("im-node-1.im-node.chat.svc");
        assertThat(config.advertisedPort(0)).isEqualTo(7000);
        // The names the nodes are told to use exist: a zk-hs/redis/im-node pod DNS name per member.
        for (String member : config.zkConnect().split(",")) {
            assertPodName(member.split(":")[0]);
        }
        for (String seed : config.redisUri().split(",")) {
            assertPodName(seed.replace("redis://", "").split(":")[0]);
        }
        assertThat(node.getPorts()).extracting(ContainerPort::getContainerPort)
                .containsExactlyInAnyOrder(config.port(), config.edge().httpPort());
        // Grace period > preStop sleep + the node's drain bound, with margin.
        long preStopMillis = 0;
        if (node.getLifecycle() != null && node.getLifecycle().getPreStop() != null) {
            List<String> command = node.getLifecycle().getPreStop().getExec().getCommand();
            assertThat(command.get(0)).isEqualTo("sleep");
            preStopMillis = Long.parseLong(command.get(1)) * 1000;
        }
        long graceMillis = set.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() * 1000;
        assertThat(graceMillis).isGreaterThanOrEqualTo(preStopMillis + config.shutdownTimeoutMillis() + 5_000);
        // Probes on ports the container has; the process runs as the image's non-root user.
        assertThat(node.getReadinessProbe()).isNotNull();
        assertThat(node.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(set.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(node.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(node.getResources().getLimits()).containsKey("memory");
    }

    /** {@code zk-0.zk-hs}: pod 0 of a StatefulSet zk within its replicas, whose headless Service is zk-hs. */
    private static void assertPodName(String host) {
        Matcher m = Pattern.compile("([a-z0-9-]+)-(\\d+)\\.([a-z0-9-]+)").matcher(host);
        assertThat(m.matches()).as(host).isTrue();
        StatefulSet set = named(StatefulSet.class, m.group(1));
        assertThat(Integer.parseInt(m.group(2))).as(host).isLessThan(set.getSpec().getReplicas());
        assertThat(set.getSpec().getServiceName()).as(host).isEqualTo(m.group(3));
    }

    private static ServerConfig parse(List<String> args) {
        List<String> withKey = new ArrayList<>(args);
        withKey.add("--auth-key");
        withKey.add(TEST_KEY);
        // Unknown flags, missing values and invalid combinations throw here, as they stop a real node.
        return ServerConfig.fromFlags(Flags.parse(withKey.toArray(String[]::new), ServerConfig.flagNames(),
                ServerConfig.switchNames()));
    }

    // --- compose.yaml --------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws IOException {
        try (Reader reader = Files.newBufferedReader(DEPLOY.resolve("compose.yaml"))) {
            return (Map<String, Object>) new Yaml(new LoaderOptions()).load(reader);
        }
    }

    /** Compose's ${VAR:-default} with the variable unset, and $$ as a literal $. */
    private static String interpolate(String value) {
        Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            assertThat(m.group(3)).as("${%s} in compose args needs a default", m.group(1)).isNotNull();
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(3)));
        }
        m.appendTail(out);
        return out.toString().replace("$$", "$");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theComposeFileHasTheEnsembleTheRedisClusterAndThreeNodesThatAreValidlyConfigured() throws IOException {
        Map<String, Object> services = (Map<String, Object>) compose().get("services");
        assertThat(services).containsKeys("zk1", "zk2", "zk3", "redis1", "redis2", "redis3", "redis4", "redis5",
                "redis6", "redis-cluster-init", "im1", "im2", "im3");
        Set<String> allowed = Set.of("image", "build", "hostname", "environment", "command", "entrypoint", "ports",
                "healthcheck", "depends_on", "restart", "stop_signal", "stop_grace_period");
        for (Map.Entry<String, Object> entry : services.entrySet()) {
            Map<String, Object> service = (Map<String, Object>) entry.getValue();
            assertThat(allowed).as("keys of service %s", entry.getKey()).containsAll(service.keySet());
            Object dependsOn = service.get("depends_on");
            if (dependsOn != null) {
                assertThat(services).as("depends_on of %s", entry.getKey())
                        .containsKeys(((Map<String, Object>) dependsOn).keySet().toArray(String[]::new));
            }
            Map<String, Object> health = (Map<String, Object>) service.get("healthcheck");
            if (health != null) {
                assertThat(((List<String>) health.get("test")).get(0)).isIn("CMD", "CMD-SHELL");
            }
        }
        // The ensemble: three ids, one ZOO_SERVERS line naming the three services.
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> env = (Map<String, Object>) ((Map<String, Object>) services.get("zk" + i))
                    .get("environment");
            assertThat(env.get("ZOO_MY_ID")).isEqualTo(String.valueOf(i));
            assertThat((String) env.get("ZOO_SERVERS"))
                    .isEqualTo("server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181");
        }
        // The nodes.
        Set<String> advertised = new java.util.HashSet<>();
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> im = (Map<String, Object>) services.get("im" + i);
            Map<String, Object> env = (Map<String, Object>) im.get("environment");
            // The key has no default: compose stops with the message when it is not set.
            assertThat((String) env.get("IM_AUTH_KEY")).startsWith("${IM_AUTH_KEY:?");
            assertThat(env.get("IM_NODE_ID")).isEqualTo("im" + i);
            List<String> args = ((List<Object>) im.get("command")).stream().map(a -> interpolate(a.toString()))
                    .toList();
            ServerConfig config = parse(args);
            assertThat(config.nodeId()).isEqualTo("im" + i);
            assertThat(config.zkConnect()).isEqualTo("zk1:2181,zk2:2181,zk3:2181");
            // Every Redis seed is a redis service on the port it listens on.
            for (String seed : config.redisUri().split(",")) {
                String[] hostPort = seed.replace("redis://", "").split(":");
                List<Object> command = (List<Object>) ((Map<String, Object>) services.get(hostPort[0])).get("command");
                assertThat(command).as(seed).containsSubsequence("--port", hostPort[1]);
            }
            // The published ports lead to the ports the node binds, and are what it advertises.
            List<String> ports = (List<String>) im.get("ports");
            assertThat(ports).contains(config.advertisedPort(0) + ":" + config.port());
            advertised.add(config.advertisedHost() + ":" + config.advertisedPort(0));
            long grace = parseDuration((String) im.get("stop_grace_period"));
            assertThat(grace).isGreaterThanOrEqualTo(config.shutdownTimeoutMillis() + 5_000);
            assertThat(im.get("stop_signal")).isEqualTo("SIGTERM");
        }
        assertThat(advertised).containsExactlyInAnyOrder("127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003");
    }

    private static long parseDuration(String compose) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m)").matcher(compose);
        assertThat(m.matches()).as(compose).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> Duration.ofSeconds(n).toMillis();
            default -> Duration.ofMinutes(n).toMillis();
        };
    }

    // --- Dockerfile ----------------------------------------------------------------------------------------------

    @Test
    void theImageRunsTheJvmAsProcessOneAsANonRootUserAndStopsItWithSigterm() throws Exception {
        List<String> lines = Files.readAllLines(DEPLOY.resolve("Dockerfile")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(lines).contains("FROM eclipse-temurin:17-jre", "STOPSIGNAL SIGTERM",
                "COPY target/stage9-scale-out.jar /app/stage9-scale-out.jar");
        String entrypoint = lines.stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        // Exec form (a JSON array): java is process 1 and gets the signal. The shell form would run /bin/sh -c.
        List<String> argv = List.of(new ObjectMapper().readValue(entrypoint.substring("ENTRYPOINT ".length()),
                String[].class));
        assertThat(argv.get(0)).isEqualTo("java");
        Class.forName(argv.get(argv.size() - 1)); // the main class exists
        assertThat(argv.get(argv.size() - 1)).isEqualTo(ChatServer.class.getName());
        String user = lines.stream().filter(l -> l.startsWith("USER ")).findFirst().orElseThrow().substring(5);
        assertThat(user).matches("[1-9][0-9]*:[0-9]+"); // numeric, not root: runAsNonRoot can check it
        assertThat(user).startsWith(String.valueOf(named(StatefulSet.class, "im-node").getSpec().getTemplate()
                .getSpec().getSecurityContext().getRunAsUser()));
    }
}
