require 'json'
require 'jmespath'
require 'rexml/document'
require 'faraday'
require 'multi_json'

def lambda_handler(event:, context:)
  doc = REXML::Document.new(event.fetch('xml', '<a/>'))
  names = JMESPath.search('items[].name', event)
  { statusCode: 200, body: MultiJson.dump(root: doc.root&.name, names: names) }
end
