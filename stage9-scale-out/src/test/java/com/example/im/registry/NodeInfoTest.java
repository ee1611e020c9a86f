package com.example.im.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Stage 9's znode data gained the advertised HTTP host (docs/09-scale-out.md, "Advertised addresses"): data written
 * by a stage-8 node still reads, and what a stage-9 node writes still reads in a stage-8 reader when the HTTP host is
 * the TCP host (the usual case).
 */
class NodeInfoTest {

    /** What stage 8's NodeInfo is: a record read by a default ObjectMapper, which fails on unknown properties. */
    record Stage8NodeInfo(String nodeId, String host, int port, int connections, int httpPort, boolean tls) {
    }

    @Test
    void stage8DataReadsAsTheHttpPortOnTheTcpHost() {
        byte[] stage8 = """
                {"nodeId":"10.0.0.5:7001","host":"10.0.0.5","port":7001,"connections":3,"httpPort":8001,"tls":true}"""
                .getBytes(StandardCharsets.UTF_8);
        NodeInfo info = NodeInfo.fromJson(stage8);
        assertThat(info).isEqualTo(new NodeInfo("10.0.0.5:7001", "10.0.0.5", 7001, 3, 8001, true, "10.0.0.5"));
        assertThat(info.httpBase()).isEqualTo("https://10.0.0.5:8001/");
        // Stage 4-7 data (no web edge at all) too.
        assertThat(NodeInfo.fromJson("{\"nodeId\":\"a\",\"host\":\"h\",\"port\":1,\"connections\":0}"
                .getBytes(StandardCharsets.UTF_8)).httpHost()).isEqualTo("h");
    }

    @Test
    void theUsualZnodeKeepsTheStage8ShapeAndAStage8ReaderReadsIt() throws Exception {
        NodeInfo same = new NodeInfo("n1", "10.0.0.5", 17001, 2, 18001, false, "10.0.0.5");
        String json = new String(same.toJson(), StandardCharsets.UTF_8);
        assertThat(json).doesNotContain("httpHost");
        assertThat(new ObjectMapper().readValue(json, Stage8NodeInfo.class))
                .isEqualTo(new Stage8NodeInfo("n1", "10.0.0.5", 17001, 2, 18001, false));
        assertThat(NodeInfo.fromJson(same.toJson())).isEqualTo(same);
    }

    @Test
    void aDifferentHttpHostTravelsAndLaterFieldsAreIgnored() {
        NodeInfo split = new NodeInfo("n1", "tcp.example.com", 17001, 0, 443, true, "web.example.com");
        assertThat(new String(split.toJson(), StandardCharsets.UTF_8)).contains("\"httpHost\":\"web.example.com\"");
        assertThat(NodeInfo.fromJson(split.toJson())).isEqualTo(split);
        assertThat(split.httpBase()).isEqualTo("https://web.example.com:443/");
        assertThat(new NodeInfo("n", "::1", 1, 0, 8001, false, null).httpBase()).isEqualTo("http://[::1]:8001/");
        // A field some later stage adds must not make this reader drop the node.
        assertThat(NodeInfo.fromJson(("{\"nodeId\":\"a\",\"host\":\"h\",\"port\":1,\"connections\":0,"
                + "\"httpPort\":2,\"tls\":false,\"zone\":\"eu-1\"}").getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new NodeInfo("a", "h", 1, 0, 2, false));
    }
}
