package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The session lanes on their own: one user's operations in order, and a full lane refuses instead of growing. */
class SessionLanesTest {

    @Test
    void oneUsersOperationsRunInTheOrderTheyWereSubmitted() throws Exception {
        try (SessionLanes lanes = new SessionLanes(4, 1_000)) {
            List<Integer> seen = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 500; i++) {
                int n = i;
                assertThat(lanes.submit("alice", () -> seen.add(n))).isTrue();
            }
            assertThat(lanes.finish(System.currentTimeMillis() + 10_000)).isTrue();
            assertThat(seen).hasSize(500).isSorted();
        }
    }

    @Test
    void aFullLaneRefusesAtOnceInsteadOfQueueingWithoutBound() throws Exception {
        try (SessionLanes lanes = new SessionLanes(1, 3)) {
            CountDownLatch stuck = new CountDownLatch(1);
            CountDownLatch running = new CountDownLatch(1);
            // The lane's thread is busy (a Redis call waiting out its timeout) ...
            lanes.submit("alice", () -> {
                running.countDown();
                try {
                    stuck.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            // ... so three operations wait, and the fourth is refused.
            assertThat(lanes.submit("bob", () -> { })).isTrue();
            assertThat(lanes.submit("carol", () -> { })).isTrue();
            assertThat(lanes.submit("dave", () -> { })).isTrue();
            assertThat(lanes.submit("erin", () -> { })).as("refused: the lane is full").isFalse();
            assertThat(lanes.backlog()).isEqualTo(3);
            stuck.countDown();
        }
    }
}
