package com.example.im.web;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.openqa.selenium.By;

/** The chat page (src/main/resources/web/chat.html) in a {@link Browser}, by its stable ids. */
final class ChatPage {

    /** One shown message: an {@code li.msg} of {@code #messages}. */
    record Shown(String seq, String from, String msgId, String text) {
    }

    private final Browser browser;

    ChatPage(Browser browser) {
        this.browser = browser;
    }

    /** Opens the page at {@code httpBase} ("http://127.0.0.1:port"), logs in as {@code uid}, waits to be connected. */
    ChatPage login(String httpBase, String uid) {
        browser.open(httpBase + "/");
        // The node list has loaded (the choice defaults to the node that served the page).
        await().atMost(Duration.ofSeconds(20)).until(() -> !browser.driver()
                .findElements(By.cssSelector("#node-choice option")).isEmpty());
        browser.driver().findElement(By.id("uid")).sendKeys(uid);
        browser.driver().findElement(By.id("login")).click();
        awaitConnected();
        return this;
    }

    void awaitConnected() {
        await().atMost(Duration.ofSeconds(30)).until(() -> status().equals("connected"));
    }

    String status() {
        return browser.driver().findElement(By.id("status")).getText();
    }

    String node() {
        return browser.driver().findElement(By.id("node")).getText();
    }

    /** Types a message and presses Send (it is acknowledged later: see {@link #sent()}). */
    void send(String to, String text) {
        var driver = browser.driver();
        driver.findElement(By.id("to")).clear();
        driver.findElement(By.id("to")).sendKeys(to);
        driver.findElement(By.id("text")).sendKeys(text);
        driver.findElement(By.id("send")).click();
    }

    @SuppressWarnings("unchecked")
    List<Shown> messages() {
        List<List<String>> rows = (List<List<String>>) browser.driver().executeScript(
                "return Array.from(document.querySelectorAll('#messages li.msg')).map(li => "
                        + "[li.dataset.seq, li.dataset.from, li.dataset.msgId, li.querySelector('.text').textContent])");
        return rows.stream().map(r -> new Shown(r.get(0), r.get(1), r.get(2), r.get(3))).toList();
    }

    Set<String> texts() {
        return messages().stream().map(Shown::text).collect(Collectors.toSet());
    }

    /** Texts of the acknowledged sends ({@code #sent li}). */
    @SuppressWarnings("unchecked")
    List<String> sent() {
        return (List<String>) browser.driver().executeScript(
                "return Array.from(document.querySelectorAll('#sent li')).map(li => "
                        + "li.querySelector('.text').textContent)");
    }

    /** How often each text is shown (every value 1 when nothing is shown twice). */
    Map<String, Long> copies() {
        return messages().stream().collect(Collectors.groupingBy(Shown::text, Collectors.counting()));
    }

    Browser browser() {
        return browser;
    }
}
