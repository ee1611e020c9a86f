package com.example.im.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Review of the pages' server (docs/08-web-edge.md, "The HTTP port"): what a stranger's requests can make it keep. */
class StaticFilesReviewTest {

    /**
     * Anyone can ask for any plain name; a name that is not in the jar must cost nothing after its 404. (Each miss
     * stayed in the cache for ever: a loop of requests for /a1.js, /a2.js, ... names up to the 4 KiB request line
     * grew the node's heap without bound.)
     */
    @Test
    void namesThatAreNotInTheJarAreNotRemembered() {
        StaticFiles files = new StaticFiles();
        assertThat(files.find("/chat.js")).isNotNull().satisfies(r -> r.release());
        for (int i = 0; i < 10_000; i++) {
            assertThat(files.find("/missing-" + i + ".js")).isNull();
        }
        assertThat(files.cachedNames()).as("names kept after 10 000 misses").isEqualTo(1);
        assertThat(files.find("/chat.js")).isNotNull().satisfies(r -> r.release());
    }
}
