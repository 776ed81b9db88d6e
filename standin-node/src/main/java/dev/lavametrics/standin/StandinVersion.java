package dev.lavametrics.standin;

import com.sedmelluq.discord.lavaplayer.tools.PlayerLibrary;

/** Version strings the stand-in reports. It never claims to be a real Lavalink release. */
public final class StandinVersion {
    public static final int MAJOR = 4;
    public static final int MINOR = 0;
    public static final int PATCH = 0;
    public static final String PRE_RELEASE = "lavametrics-standin";
    public static final String SEMVER = MAJOR + "." + MINOR + "." + PATCH + "-" + PRE_RELEASE;

    private StandinVersion() {
    }

    public static String lavaplayerVersion() {
        String v = PlayerLibrary.VERSION;
        return (v == null || v.isBlank() || v.contains("@")) ? "2.2.6" : v;
    }
}
