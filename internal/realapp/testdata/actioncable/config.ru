# Rails ActionCable without a Rails app: the cable server mounted at /cable
# the way Rails mounts it, with the origin check on, on puma.
#   puma -b tcp://127.0.0.1:PORT config.ru
# FORCE_SSL=1 puts ActionDispatch::SSL in front, as config.force_ssl does:
# a request that did not come over https (X-Forwarded-Proto) gets a 301.
# SAME_ORIGIN_ONLY=1 leaves allowed_request_origins empty: only an Origin
# equal to the request's own scheme://Host passes (allow_same_origin_as_host,
# where the scheme comes from X-Forwarded-Proto behind a proxy).
require "logger"
require "action_cable"
require "action_dispatch"

module ApplicationCable
  class Connection < ActionCable::Connection::Base
  end

  class Channel < ActionCable::Channel::Base
  end
end

# ChatChannel streams "chat" and broadcasts what a client speaks.
class ChatChannel < ApplicationCable::Channel
  def subscribed
    stream_from "chat"
  end

  def speak(data)
    ActionCable.server.broadcast("chat", { "message" => data["message"] })
  end
end

ActionCable.server.config.tap do |c|
  c.cable = { "adapter" => "async" }
  c.connection_class = -> { ApplicationCable::Connection }
  c.logger = Logger.new($stdout)
  c.worker_pool_size = 2
  # The origin check as production has it: the app's own origin only
  # (127.0.0.1 or localhost on any port, http or https).
  c.disable_request_forgery_protection = false
  c.allow_same_origin_as_host = true
  c.allowed_request_origins = if ENV["SAME_ORIGIN_ONLY"] == "1"
    []
  else
    [%r{\Ahttps?://(127\.0\.0\.1|localhost)(:\d+)?\z}]
  end
end

use ActionDispatch::SSL if ENV["FORCE_SSL"] == "1"

map "/cable" do
  run ActionCable.server
end

run ->(_env) { [404, { "Content-Type" => "text/plain" }, ["Not Found"]] }
