# The seed's receiver ("slave"), made runnable: prints "<sender ip>:<port> <data>" per datagram.
require 'socket'
require 'ipaddr'

MULTICAST_ADDR = ENV.fetch('GROUP', '239.255.76.67')
BIND_ADDR = '0.0.0.0'
PORT = Integer(ENV.fetch('PORT', '5000'))
TTL = 1

member = IPAddr.new(MULTICAST_ADDR).hton + IPAddr.new(BIND_ADDR).hton

server = UDPSocket.new
server.setsockopt Socket::IPPROTO_IP, Socket::IP_ADD_MEMBERSHIP, member
server.setsockopt Socket::IPPROTO_IP, Socket::IP_MULTICAST_TTL, TTL
server.setsockopt Socket::IPPROTO_IP, Socket::IP_TTL, TTL
server.bind Socket::INADDR_ANY, PORT
$stdout.sync = true
puts 'listening'

loop do
  data, info = server.recvfrom(1024)
  puts "#{info[3]}:#{info[1]} #{data}"
end
