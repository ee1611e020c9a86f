package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.testkit.Infra.Backend;
import com.example.im.testkit.Infra.Decision;
import com.example.im.testkit.Infra.Setting;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every row of {@link Infra#decide}: no Docker engine, no I/O, so it runs everywhere. */
class InfraDecisionTest {

    private static final ImageCheck MISSING = ImageCheck.unusable("redis:7.0.15",
            "could not be pulled (connection refused)");

    @Test
    void explicitSettingsAreObeyedWhateverTheMachineHas() {
        for (boolean docker : List.of(true, false)) {
            for (ImageCheck images : List.of(ImageCheck.USABLE, MISSING, ImageCheck.NOT_CHECKED)) {
                assertThat(Infra.decide(Setting.CONTAINERS, docker, images))
                        .isEqualTo(new Decision(Backend.CONTAINERS, "", null));
                assertThat(Infra.decide(Setting.LOCAL, docker, images))
                        .isEqualTo(new Decision(Backend.LOCAL, "", null));
            }
        }
    }

    @Test
    void autoWithoutAnEngineIsLocalWithoutAWarning() {
        Decision d = Infra.decide(Setting.AUTO, false, ImageCheck.NOT_CHECKED);
        assertThat(d.backend()).isEqualTo(Backend.LOCAL);
        assertThat(d.reason()).isEqualTo("no Docker engine answered");
        assertThat(d.warning()).isNull();
    }

    @Test
    void autoWithAnEngineAndUsableImagesIsContainers() {
        Decision d = Infra.decide(Setting.AUTO, true, ImageCheck.USABLE);
        assertThat(d.backend()).isEqualTo(Backend.CONTAINERS);
        assertThat(d.warning()).isNull();
    }

    @Test
    void autoWithAnEngineButAnUnusableImageIsLocalAndSaysWhatHappened() {
        Decision d = Infra.decide(Setting.AUTO, true, MISSING);
        assertThat(d.backend()).isEqualTo(Backend.LOCAL);
        assertThat(d.warning()).isEqualTo("Docker answers but image redis:7.0.15 could not be pulled "
                + "(connection refused); using local servers. Use -Dim.infra=containers to insist, or configure a "
                + "registry mirror: see README 'Setup behind a firewall'");
    }

    @Test
    void autoWithAnEngineNeedsTheImageCheck() {
        assertThatThrownBy(() -> Infra.decide(Setting.AUTO, true, ImageCheck.NOT_CHECKED))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsParse() {
        assertThat(Setting.parse(null)).isEqualTo(Setting.AUTO);
        assertThat(Setting.parse("")).isEqualTo(Setting.AUTO);
        assertThat(Setting.parse(" Containers ")).isEqualTo(Setting.CONTAINERS);
        assertThat(Setting.parse("LOCAL")).isEqualTo(Setting.LOCAL);
        assertThatThrownBy(() -> Setting.parse("docker")).hasMessageContaining("auto, containers, local");
    }
}
