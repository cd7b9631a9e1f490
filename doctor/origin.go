package doctor

import "github.com/wscope/wscope/session"

// withOrigin sets the Origin header; "" sends none at all (the session
// would otherwise send the browser's).
func withOrigin(cfg session.Config, origin string) session.Config {
	cfg.Origin, cfg.NoOrigin = origin, origin == ""
	return cfg
}

// withCompression offers permessage-deflate as Chrome does (or the user's
// own offer), or nothing.
func withCompression(cfg session.Config, on bool) session.Config {
	if !on {
		cfg.Compress, cfg.CompressOffer = false, ""
		return cfg
	}
	cfg.Compress = true
	return cfg
}
