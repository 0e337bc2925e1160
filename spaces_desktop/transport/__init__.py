"""WebRTC peer connections to the SFU; the only package that builds RTCPeerConnections."""
