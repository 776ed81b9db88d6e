package dev.lavametrics.standin;

import com.sedmelluq.discord.lavaplayer.tools.PlayerLibrary;

/**
 * Version strings the stand-in reports. It models one real Lavalink release, {@link #MODELLED}, and says
 * so without claiming to be it: the semver is that release with the pre-release tag
 * {@code lavametrics-standin}, which Lavalink's own {@code Version.fromSemver} (protocol/.../v4/info.kt)
 * parses as major.minor.patch of the modelled release plus a pre-release.
 */
public final class StandinVersion {
    /** The real Lavalink release whose behaviour the stand-in follows (see testing/standin-node/README.md). */
    public static final String MODELLED = "4.2.2";

    public static final int MAJOR = 4;
    public static final int MINOR = 2;
    public static final int PATCH = 2;
    public static final String PRE_RELEASE = "lavametrics-standin";
    public static final String SEMVER = MAJOR + "." + MINOR + "." + PATCH + "-" + PRE_RELEASE;

    private StandinVersion() {}

    public static String lavaplayerVersion() {
        String v = PlayerLibrary.VERSION;
        return (v == null || v.isBlank() || v.contains("@")) ? "2.2.6" : v;
    }
}
