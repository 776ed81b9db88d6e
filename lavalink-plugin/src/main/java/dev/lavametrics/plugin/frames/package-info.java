/**
 * Hooks on lavaplayer's audio path: the player-manager configuration that wraps the node's frame
 * buffer factory, and the per-track buffer wrapper and tally that count frames sent, nulled and
 * missing. The per-frame path allocates nothing (FramePathAllocationTest). Counts only into
 * {@code collect}.
 */
package dev.lavametrics.plugin.frames;
